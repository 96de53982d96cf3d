# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_base.lib.fa_format import FaValidationError
from odoo.addons.g2p_spar_fa_base.models.payment_fa import PLACEHOLDER_FIELDS

# Context keys the screens set around an FA change; the FA and the outbox
# rows written in the same transaction keep them.
REASON_KEY = "g2p_fa_change_reason"
REQUEST_REF_KEY = "g2p_fa_request_ref"
# The inputs a form shows for each kind; the others are ignored.
KIND_FIELDS = {
    "bank": (
        "account_number",
        "iban",
        "bank_id",
        "bic",
        "bank_code",
        "branch_code",
        "holder_name",
    ),
    "mobile": ("payment_msisdn", "provider_code"),
    "email": ("payment_email", "provider_code"),
}


class G2pPaymentFa(models.Model):
    _inherit = "g2p.payment.fa"

    change_reason = fields.Char(
        string="Reason",
        readonly=True,
        default=lambda self: self.env.context.get(REASON_KEY),
        help="Why the address was recorded, as given by the person who did it.",
    )
    request_ref = fields.Char(
        string="Request Reference",
        readonly=True,
        default=lambda self: self.env.context.get(REQUEST_REF_KEY),
        help="Reference of the beneficiary's request for this change.",
    )
    channel = fields.Selection(
        selection="_selection_channel",
        readonly=True,
        default=lambda self: self.env["g2p.spar.outbox"]._current_channel(),
    )

    def _for_change(self, channel, reason=None, request_ref=None):
        """These FAs (or the model) set to record a change made through
        ``channel``: the FA and its outbox rows keep the channel, the reason
        and the request reference."""
        return self.with_context(
            g2p_fa_channel=channel,
            **{REASON_KEY: reason, REQUEST_REF_KEY: request_ref},
        )

    @api.model
    def _selection_channel(self):
        return self.env["g2p.spar.outbox"]._fields["channel"].selection

    def write(self, vals):
        frozen = {"change_reason", "request_ref", "channel"} & set(vals)
        if frozen:
            raise UserError(
                _(
                    "The reason, request reference and channel of a payment "
                    "financial address are part of its history and cannot be "
                    "changed."
                )
            )
        return super().write(vals)

    @api.model
    def _input_error(self, error):
        """``(field name, message)`` of a ValidationError raised by create().

        The field is the form field to show the message next to, or False
        when the error is not about one value.
        """
        cause = error.__cause__
        if isinstance(cause, FaValidationError):
            field = PLACEHOLDER_FIELDS.get(cause.field, cause.field)
            if field in self._fields:
                return field, cause.message
        return False, str(error.args[0])
