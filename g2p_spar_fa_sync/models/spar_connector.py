# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import hashlib
import threading
from pathlib import Path

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..lib import secret_box, spar_protocol

PARAM_PREFIX = "g2p_spar_fa_sync."
# Deployment-level fallbacks in the Odoo server configuration file: the
# settings screen overrides them per database.
SERVER_OPTIONS = {
    "spar_url": "g2p_spar_url",
    "sender_id": "g2p_spar_sender_id",
    "receiver_id": "g2p_spar_receiver_id",
}
PRIVATE_KEY_FILE_OPTION = "g2p_spar_private_key_file"
KEY_PARAM = PARAM_PREFIX + "private_key"
# Signers are costly to build (key parsing) and clients hold keep-alive
# sockets: one per key and per thread, for the life of the worker.
_signers = {}
_clients = threading.local()


@dataclasses.dataclass(frozen=True)
class SparSettings:
    spar_url: str = ""
    sender_id: str = "openg2p-sr"
    receiver_id: str = "spar"
    sender_uri: str = ""
    batch_size: int = 500
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 60.0
    retry_base_seconds: float = 10.0
    retry_cap_seconds: float = 900.0
    sending_timeout_seconds: int = 600
    verify_after_push: bool = True
    private_key_pem: bytes = dataclasses.field(default=b"", repr=False)
    # Why a stored key could not be read: sending stops with this reason,
    # while what needs no key (e.g. the recovery cron) goes on.
    private_key_problem: str = ""

    @property
    def key_fingerprint(self):
        return hashlib.sha256(self.private_key_pem).hexdigest()

    @property
    def client_key(self):
        """What a client is built from (see ``_new_client``): a change of
        batch size or retry delays reuses the worker's client."""
        return (
            self.spar_url,
            self.sender_id,
            self.receiver_id,
            self.sender_uri,
            self.connect_timeout_seconds,
            self.read_timeout_seconds,
            self.key_fingerprint,
        )


class G2pSparConnector(models.AbstractModel):
    """Settings of the SPAR connection and the client built from them."""

    _name = "g2p.spar.connector"
    _description = "SPAR Connection"

    @api.model
    def _settings(self, read=None):
        """The settings in force. ``read(name)`` gives a setting's own value
        (default: the saved system parameter, e.g. the settings screen passes
        what it shows); an empty one falls back to the server configuration,
        then to the default."""
        params = self.env["ir.config_parameter"].sudo()
        read = read or (lambda name: params.get_param(PARAM_PREFIX + name))
        values = {}
        for field in dataclasses.fields(SparSettings):
            if field.name.startswith("private_key_"):
                continue
            raw = read(field.name)
            if raw in (None, False, "") and field.name in SERVER_OPTIONS:
                raw = config.get(SERVER_OPTIONS[field.name])
            if raw in (None, False, ""):
                continue
            values[field.name] = self._coerce(field, raw)
        values["private_key_pem"], values["private_key_problem"] = (
            self._private_key_pem(params)
        )
        return SparSettings(**values)

    @api.model
    def _coerce(self, field, raw):
        kind = type(field.default)
        try:
            if kind is bool:
                return str(raw).lower() in ("1", "true", "yes")
            return kind(raw)
        except ValueError as exc:
            raise UserError(
                _(
                    "SPAR setting %(name)s has an invalid value.",
                    name=field.name,
                )
            ) from exc

    @api.model
    def _private_key_source(self, params):
        """Where the partner private key comes from: "settings" (uploaded),
        "file" (the server option names a readable file) or None."""
        if params.get_param(KEY_PARAM):
            return "settings"
        key_file = config.get(PRIVATE_KEY_FILE_OPTION)
        if key_file and Path(key_file).is_file():
            return "file"
        return None

    @api.model
    def _private_key_pem(self, params):
        """The key in force and, when the uploaded one cannot be opened,
        why (as ``(pem, problem)``)."""
        source = self._private_key_source(params)
        if source == "settings":
            try:
                return self.env["g2p.secret.box"]._open(params.get_param(KEY_PARAM)), ""
            except UserError as exc:
                return b"", exc.args[0]
        if source == "file":
            return Path(config[PRIVATE_KEY_FILE_OPTION]).read_bytes(), ""
        return b"", ""

    @api.model
    def _store_private_key(self, pem):
        """Keep an uploaded key, sealed: the database (and so every backup)
        holds ciphertext only. A record rule keeps the parameter out of
        *System Parameters*; only the connector opens it."""
        sealed = self.env["g2p.secret.box"]._seal(pem)
        self.env["ir.config_parameter"].sudo().set_param(KEY_PARAM, sealed)

    @api.model
    def _seal_stored_private_key(self):
        """Upgrade from 17.0.1.0.0, which kept the uploaded key in clear."""
        stored = self.env["ir.config_parameter"].sudo().get_param(KEY_PARAM)
        if stored and not secret_box.is_sealed(stored):
            self._store_private_key(stored.encode())

    @api.model
    def _client(self, settings):
        if not settings.spar_url:
            raise UserError(_("SPAR URL is not configured."))
        if not settings.private_key_pem:
            raise UserError(
                settings.private_key_problem
                or _("The SPAR partner private key is not configured.")
            )
        fingerprint = settings.key_fingerprint
        signer = _signers.get(fingerprint)
        if signer is None:
            signer = _signers[fingerprint] = spar_protocol.RequestSigner(
                settings.private_key_pem
            )
        cache = getattr(_clients, "by_settings", None)
        if cache is None:
            cache = _clients.by_settings = {}
        client = cache.get(settings.client_key)
        if client is None:
            client = cache[settings.client_key] = self._new_client(settings, signer)
        return client

    @api.model
    def _new_client(self, settings, signer):
        """A client for these settings, outside the cache (e.g. to test
        settings not saved yet)."""
        return spar_protocol.SparClient(
            settings.spar_url,
            signer,
            sender_id=settings.sender_id,
            receiver_id=settings.receiver_id,
            sender_uri=settings.sender_uri,
            timeout=(settings.connect_timeout_seconds, settings.read_timeout_seconds),
        )
