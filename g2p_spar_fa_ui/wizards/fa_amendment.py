# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import KIND_BANK, KIND_FIELDS


class G2pFaAmendment(models.TransientModel):
    """A change of a registrant's payment FA, asked for by the beneficiary.

    Confirming records the new FA (or removes the current one) with the reason
    and the request reference; the outbox row for SPAR is written in the same
    transaction, carrying both.
    """

    _name = "g2p.fa.amendment"
    _description = "Payment Address Amendment"

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        readonly=True,
        domain=[("is_registrant", "=", True)],
    )
    action = fields.Selection(
        [("change", "Record a new address"), ("remove", "Remove the address")],
        required=True,
        default="change",
    )
    current_fa_masked = fields.Char(
        string="Current Address", compute="_compute_current_fa_masked"
    )
    reason = fields.Char(required=True)
    request_ref = fields.Char(
        string="Request Reference",
        required=True,
        help="Reference of the beneficiary's request (ticket, form or letter number).",
    )
    kind = fields.Selection(
        selection=lambda self: self.env["g2p.payment.fa"]._fields["kind"].selection,
        default=KIND_BANK,
    )
    account_number = fields.Char()
    iban = fields.Char(string="IBAN")
    bank_id = fields.Many2one("res.bank")
    bic = fields.Char(string="BIC", help="Taken from the bank when left empty.")
    bank_code = fields.Char(help="Taken from the IBAN or the bank when left empty.")
    branch_id = fields.Many2one("g2p.bank.branch", domain="[('bank_id', '=', bank_id)]")
    branch_code = fields.Char(help="Taken from the IBAN or the branch when left empty.")
    holder_name = fields.Char(string="Account Holder")
    payment_msisdn = fields.Char(
        string="Payment Mobile Number",
        help="Not the registrant's contact phone: the number payments go to.",
    )
    payment_email = fields.Char(string="Payment E-mail")
    wallet_provider_id = fields.Many2one(
        "g2p.wallet.provider", domain="[('kind', '=', kind)]"
    )
    provider_code = fields.Char(
        string="Wallet Provider Code",
        help="Picks the wallet provider with this code when none is chosen.",
    )

    @api.depends("partner_id")
    def _compute_current_fa_masked(self):
        for wizard in self:
            wizard.current_fa_masked = wizard.partner_id.payment_fa_id.fa_masked

    @api.model
    def _open_for(self, partner, action):
        return {
            "type": "ir.actions.act_window",
            "name": _("Amend Payment Address"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": partner.id, "default_action": action},
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_texts(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_texts(vals)
        return super().write(vals)

    @api.model
    def _check_texts(self, vals):
        """The reason and request reference end up on the FA: refuse them
        here already, with the same message, rather than fail the insert."""
        self.env["g2p.payment.fa"]._check_change_texts(
            {
                "change_reason": vals.get("reason"),
                "request_ref": vals.get("request_ref"),
            }
        )

    def action_confirm(self):
        self.ensure_one()
        amendment = change.ChangeContext(change.BACKEND, self.reason, self.request_ref)
        with change.recording(self.env, amendment):
            if self.action == "remove":
                current = self.partner_id.payment_fa_id
                if not current:
                    raise UserError(
                        _("The registrant has no payment address to remove.")
                    )
                current.action_remove()
            else:
                vals = {"partner_id": self.partner_id.id, "kind": self.kind}
                for fname in KIND_FIELDS.get(self.kind, ()):
                    vals[fname] = self[fname].id if fname == "bank_id" else self[fname]
                # Records the FA takes codes and names from; the model checks
                # they agree with whatever code was typed beside them.
                if self.kind == KIND_BANK:
                    vals["branch_id"] = self.branch_id.id
                else:
                    vals["wallet_provider_id"] = self.wallet_provider_id.id
                self.env["g2p.payment.fa"].create(vals)
        return {"type": "ir.actions.act_window_close"}
