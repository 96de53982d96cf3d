# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_format import FaValidationError
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import field_of

from ..lib import inputs

# Field of the FA -> name of the input checked by lib.inputs.
CHANGE_TEXT_FIELDS = {"change_reason": "reason", "request_ref": "request_ref"}


class G2pPaymentFa(models.Model):
    _inherit = "g2p.payment.fa"

    change_reason = fields.Char(
        string="Reason",
        readonly=True,
        help="Why the address was recorded, as given by the person who did it.",
    )
    request_ref = fields.Char(
        string="Request Reference",
        readonly=True,
        help="Reference of the beneficiary's request for this change.",
    )
    channel = fields.Selection(selection="_selection_channel", readonly=True)

    @api.model
    def _selection_channel(self):
        return self.env["g2p.spar.outbox"]._fields["channel"].selection

    @api.model_create_multi
    def create(self, vals_list):
        """Record the channel of the change being made, never one a caller
        sends. The reason and request reference are the change's unless the
        caller gives its own; either way they are checked before the insert
        (PostgreSQL would answer a NUL byte with a bare ValueError)."""
        current = change.current_change(self.env)
        vals_list = [
            {
                "change_reason": current.reason,
                "request_ref": current.request_ref,
                **vals,
                "channel": current.channel,
            }
            for vals in vals_list
        ]
        for vals in vals_list:
            self._check_change_texts(vals)
        return super().create(vals_list)

    @api.model
    def _check_change_texts(self, vals):
        """Refuse a reason or request reference that is not plain text of a
        sensible length, naming the field."""
        problems = inputs.text_problems(
            {
                name: vals[fname]
                for fname, name in CHANGE_TEXT_FIELDS.items()
                if vals.get(fname)
            }
        )
        for fname, name in CHANGE_TEXT_FIELDS.items():
            if name in problems:
                raise ValidationError(
                    _(
                        "%(field)s: %(problem)s",
                        field=self._fields[fname].string,
                        problem=self._input_problem_message(problems[name]),
                    )
                )

    @api.model
    def _input_problem_message(self, problem):
        """The user's-language wording of a :class:`inputs.InputProblem`."""
        if problem.code == inputs.TOO_LONG:
            return _("must be at most %(limit)s characters long", limit=problem.limit)
        if problem.code == inputs.NOT_TEXT:
            return _("must be text")
        if problem.code == inputs.CONTROL:
            return _("must not contain control characters")
        return _("choose one of the offered values")

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
            field = field_of(cause.field)
            if field in self._fields:
                return field, cause.message
        return False, str(error.args[0])
