# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import contextlib
import dataclasses
import os

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from odoo.addons.g2p_spar_fa_sync.lib import spar_protocol
from odoo.addons.g2p_spar_fa_sync.models.spar_connector import (
    PARAM_PREFIX,
    PRIVATE_KEY_FILE_OPTION,
    SERVER_OPTIONS,
    SparSettings,
)
from odoo.addons.queue_job.jobrunner.channels import ChannelManager
from odoo.addons.queue_job.jobrunner.runner import _channels

from .spar_outbox import OVERDUE_DEFAULT, OVERDUE_PARAM

SPAR_CHANNEL = "root.spar"
# An ID no registrant has: resolving it proves the signed round trip works.
PROBE_ID = "token:connection-test@SPAR_SETTINGS"
DEFAULTS = SparSettings()


def _param(name):
    return PARAM_PREFIX + name


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    g2p_spar_url = fields.Char(string="SPAR URL", config_parameter=_param("spar_url"))
    g2p_spar_sender_id = fields.Char(
        string="Sender ID", config_parameter=_param("sender_id")
    )
    g2p_spar_receiver_id = fields.Char(
        string="Receiver ID", config_parameter=_param("receiver_id")
    )
    g2p_spar_sender_uri = fields.Char(
        string="Sender URI", config_parameter=_param("sender_uri")
    )
    g2p_spar_server_defaults = fields.Char(
        string="Server Configuration",
        compute="_compute_g2p_spar_server_defaults",
        help="Used for the fields above left empty.",
    )
    g2p_spar_private_key_upload = fields.Binary(
        string="New Partner Private Key",
        compute="_compute_g2p_spar_private_key_upload",
        inverse="_inverse_g2p_spar_private_key_upload",
        help="PEM file of the RSA key SPAR knows the public half of. Stored "
        "encrypted on saving; never shown again.",
    )
    # The upload, sealed the moment it arrives: neither the filestore (a
    # stored Binary is an attachment) nor this table ever holds it in clear,
    # not even between the upload and "Save" or "Test Connection".
    g2p_spar_private_key_sealed = fields.Char(groups="base.group_system")
    g2p_spar_private_key_state = fields.Char(
        string="Partner Private Key", compute="_compute_g2p_spar_private_key_state"
    )
    g2p_spar_batch_size = fields.Integer(
        string="Batch Size",
        config_parameter=_param("batch_size"),
        default=DEFAULTS.batch_size,
    )
    g2p_spar_channel_capacity = fields.Char(
        string="Job Channel Capacity",
        compute="_compute_g2p_spar_channel_capacity",
        help="Set in the server configuration ([queue_job] channels), not here.",
    )
    g2p_spar_connect_timeout_seconds = fields.Float(
        string="Connect Timeout (s)",
        config_parameter=_param("connect_timeout_seconds"),
        default=DEFAULTS.connect_timeout_seconds,
    )
    g2p_spar_read_timeout_seconds = fields.Float(
        string="Read Timeout (s)",
        config_parameter=_param("read_timeout_seconds"),
        default=DEFAULTS.read_timeout_seconds,
    )
    g2p_spar_retry_base_seconds = fields.Float(
        string="First Retry After (s)",
        config_parameter=_param("retry_base_seconds"),
        default=DEFAULTS.retry_base_seconds,
    )
    g2p_spar_retry_cap_seconds = fields.Float(
        string="Longest Retry Wait (s)",
        config_parameter=_param("retry_cap_seconds"),
        default=DEFAULTS.retry_cap_seconds,
    )
    g2p_spar_sending_timeout_seconds = fields.Integer(
        string="Stuck Sending After (s)",
        config_parameter=_param("sending_timeout_seconds"),
        default=DEFAULTS.sending_timeout_seconds,
    )
    g2p_spar_verify_after_push = fields.Selection(
        [("true", "Yes"), ("false", "No")],
        string="Read Back After Push",
        config_parameter=_param("verify_after_push"),
        default="true",
    )
    g2p_spar_overdue_minutes = fields.Integer(
        string="Pending Too Long After (min)",
        config_parameter=OVERDUE_PARAM,
        default=OVERDUE_DEFAULT,
    )

    def _compute_g2p_spar_server_defaults(self):
        parts = [
            f"{name} = {config.get(option)}"
            for name, option in SERVER_OPTIONS.items()
            if config.get(option)
        ]
        for settings in self:
            settings.g2p_spar_server_defaults = ", ".join(parts) or _("none")

    def _compute_g2p_spar_private_key_state(self):
        source = self.env["g2p.spar.connector"]._private_key_source(
            self.env["ir.config_parameter"].sudo()
        )
        if source == "settings":
            state = _("Uploaded in these settings")
        elif source == "file":
            state = _(
                "From the server configuration file (%(option)s)",
                option=PRIVATE_KEY_FILE_OPTION,
            )
        else:
            state = _("Not configured")
        for settings in self:
            settings.g2p_spar_private_key_state = state

    def _compute_g2p_spar_channel_capacity(self):
        # The job runner's own parser: commas or lines, "spar" for "root.spar".
        channels = {
            (c["name"] if c["name"].startswith("root") else f"root.{c['name']}"): (
                c["capacity"]
            )
            for c in ChannelManager.parse_simple_config(_channels())
        }
        if SPAR_CHANNEL in channels:
            text = _(
                "%(n)s SPAR batches at a time (root.spar)", n=channels[SPAR_CHANNEL]
            )
        else:
            text = _(
                "root.spar has no capacity of its own: SPAR jobs share the root "
                "channel (%(n)s jobs at a time)",
                n=channels.get("root", 1),
            )
        for settings in self:
            settings.g2p_spar_channel_capacity = text

    def _compute_g2p_spar_private_key_upload(self):
        self.g2p_spar_private_key_upload = False

    def _inverse_g2p_spar_private_key_upload(self):
        box = self.env["g2p.secret.box"]
        for settings in self:
            upload = settings.g2p_spar_private_key_upload
            settings.g2p_spar_private_key_sealed = upload and box._seal(
                base64.b64decode(upload)
            )

    @api.model
    def _purge_private_key_attachments(self):
        """Upgrade from 17.0.1.0.0, whose upload field was a stored Binary:
        each key uploaded (saved or only tested) became an attachment, a file
        of the filestore readable by any local account (0644 under the usual
        umask) that outlived the saving. Removes the attachments and, once
        the upgrade commits, their files (unless another attachment shares
        one)."""
        Attachment = self.env["ir.attachment"].sudo()
        leftovers = Attachment.search(
            [
                ("res_model", "=", self._name),
                ("res_field", "=", "g2p_spar_private_key_upload"),
            ]
        )
        fnames = {fname for fname in leftovers.mapped("store_fname") if fname}
        leftovers.unlink()
        if not fnames:
            return
        self.env.cr.execute(
            "SELECT store_fname FROM ir_attachment WHERE store_fname IN %s",
            (tuple(fnames),),
        )
        fnames -= {fname for (fname,) in self.env.cr.fetchall()}
        paths = [Attachment._full_path(fname) for fname in fnames]

        @self.env.cr.postcommit.add
        def _remove_files():
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _uploaded_private_key(self):
        """The PEM uploaded on this screen (b"" if none), once it has proved
        to be a usable key."""
        self.ensure_one()
        if not self.g2p_spar_private_key_sealed:
            return b""
        pem = self.env["g2p.secret.box"]._open(self.g2p_spar_private_key_sealed)
        try:
            spar_protocol.RequestSigner(pem)
        except spar_protocol.SparKeyError as exc:
            raise UserError(str(exc)) from None
        return pem

    def set_values(self):
        for settings in self:
            for name in ("batch_size", "sending_timeout_seconds"):
                if settings[f"g2p_spar_{name}"] < 1:
                    raise UserError(
                        _(
                            "%(field)s must be at least 1.",
                            field=self._fields[f"g2p_spar_{name}"].string,
                        )
                    )
        res = super().set_values()
        upload = self[:1]._uploaded_private_key()
        if upload:
            self.env["g2p.spar.connector"]._store_private_key(upload)
            self.g2p_spar_private_key_sealed = False
        return res

    def _spar_settings_on_screen(self):
        """The connection as typed on the screen, with the stored key unless
        a new one was just uploaded."""
        self.ensure_one()
        # Each setting has its field here, the one saved to its parameter:
        # the connector reads them as it reads the saved ones, server
        # fallbacks included.
        field_of = {
            field.config_parameter: name
            for name, field in self._fields.items()
            if getattr(field, "config_parameter", None)
        }
        settings = self.env["g2p.spar.connector"]._settings(
            read=lambda name: self[field_of[_param(name)]]
        )
        upload = self._uploaded_private_key()
        if upload:
            settings = dataclasses.replace(
                settings, private_key_pem=upload, private_key_problem=""
            )
        return settings

    def action_resend_fas(self):
        """Save the settings on screen, then re-send every FA whose string
        they change; opens the run, which shows its progress."""
        self.ensure_one()
        self.set_values()
        run = self.env["g2p.spar.fa.resend"]._start()
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }

    def action_test_spar_connection(self):
        """A signed resolve round trip; says plainly what failed."""
        settings = self._spar_settings_on_screen()
        problem = self._spar_connection_problem(settings)
        if problem:
            return self._notify(_("SPAR connection failed"), problem, "danger")
        return self._notify(
            _("SPAR connection works"),
            _(
                "%(url)s answered a signed resolve request from %(sender)s.",
                url=settings.spar_url,
                sender=settings.sender_id,
            ),
            "success",
        )

    @api.model
    def _spar_connection_problem(self, settings):
        if not settings.spar_url:
            return _("No SPAR URL is configured.")
        if not settings.private_key_pem:
            return settings.private_key_problem or _(
                "No partner private key is configured."
            )
        try:
            client = self.env["g2p.spar.connector"]._new_client(
                settings, spar_protocol.RequestSigner(settings.private_key_pem)
            )
            client.resolve([PROBE_ID])
        except spar_protocol.SparKeyError as exc:
            return _("The partner private key cannot be used: %(e)s", e=str(exc))
        except spar_protocol.SparError as exc:
            if exc.reason_code == spar_protocol.JWT_INVALID:
                return _(
                    "SPAR rejected the signature: it has no public key matching "
                    "this private key for sender ID %(sender)s. (%(e)s)",
                    sender=settings.sender_id,
                    e=str(exc),
                )
            if exc.http_status is None:
                return _(
                    "SPAR is unreachable at %(url)s. (%(e)s)",
                    url=settings.spar_url,
                    e=str(exc),
                )
            return _("SPAR refused the request: %(e)s", e=str(exc))
        return False

    @api.model
    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
            },
        }
