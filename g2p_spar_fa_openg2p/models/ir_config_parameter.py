# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import AccessError

# Our settings: SPAR endpoint, ID and FA formats, the sealed partner key.
PROTECTED_PREFIXES = (
    "g2p_spar_fa.",
    "g2p_spar_fa_sync.",
    "g2p_spar_fa_ui.",
    "g2p_spar_fa_openg2p.",
    "g2p_odk_importer_fa.",
)


class IrConfigParameter(models.Model):
    """OpenG2P's g2p_registry_base grants every user (group-less access
    ``access_ir_config_parameter_system``) full rights on system parameters,
    which its own code reads as the user. Our settings stay administrators'
    only: a registry officer must not redirect SPAR requests or change how
    SPAR IDs are made. The record rule (security/security.xml) covers
    search, read and write; get_param and set_param go past record rules
    (a cached SQL read; a search that finds nothing, then a create)."""

    _inherit = "ir.config_parameter"

    @api.model
    def _check_protected(self, key):
        if (
            isinstance(key, str)
            and key.startswith(PROTECTED_PREFIXES)
            and not self.env.su
            and not self.env.user._is_system()
        ):
            raise AccessError(
                _(
                    "Only administrators may read or change the setting %(key)s.",
                    key=key,
                )
            )

    @api.model
    def get_param(self, key, default=False):
        self._check_protected(key)
        return super().get_param(key, default)

    @api.model
    def set_param(self, key, value):
        """Refused before the record rule would hide the existing parameter
        and a duplicate key be attempted."""
        self._check_protected(key)
        return super().set_param(key, value)
