# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..lib import secret_box

# In the [options] section of the Odoo server configuration file.
SECRET_KEY_OPTION = "g2p_secret_key"


class G2pSecretBox(models.AbstractModel):
    """Seals the secrets this suite stores (SPAR partner key, ODK passwords)
    under the key of the server configuration, and opens them again.

    Without a configured key nothing is stored: a secret written in clear
    "for now" would stay in every backup taken meanwhile.
    """

    _name = "g2p.secret.box"
    _description = "Secrets Sealed at Rest"

    @api.model
    def _box(self):
        try:
            return secret_box.SecretBox(config.get(SECRET_KEY_OPTION))
        except secret_box.SecretKeyError as exc:
            raise UserError(
                _(
                    "Secrets cannot be stored or read: %(problem)s. Set "
                    "%(option)s in the [options] section of the Odoo server "
                    "configuration file to a key made by\n"
                    "python3 -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'\n"
                    "and restart Odoo.",
                    problem=str(exc),
                    option=SECRET_KEY_OPTION,
                )
            ) from None

    @api.model
    def _seal(self, secret):
        return self._box().seal(secret)

    @api.model
    def _open(self, sealed):
        """The secret (bytes); a clear error when the configured key cannot
        open it (the key was changed or lost)."""
        box = self._box()
        try:
            return box.open(sealed)
        except secret_box.SealedSecretError as exc:
            raise UserError(
                _(
                    "A stored secret cannot be read: %(problem)s. Put the key "
                    "it was sealed with back into %(option)s (several keys "
                    "may be listed, separated by commas), or enter the secret "
                    "again.",
                    problem=str(exc),
                    option=SECRET_KEY_OPTION,
                )
            ) from None
