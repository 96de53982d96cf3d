# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import bank_account_fa as bank_fa
from ..models.payment_fa_backfill import summary

# Registrants read per round of the preview: bounded memory on big registries.
PREVIEW_PAGE = 5000


class G2pPaymentFaBackfillWizard(models.TransientModel):
    """Choose what becomes registrants' payment FAs, see what it would do,
    then start the backfill."""

    _name = "g2p.payment.fa.backfill.wizard"
    _description = "Payment FA Backfill"

    source = fields.Selection(
        list(bank_fa.SOURCES),
        required=True,
        default=bank_fa.SOURCE_BANK,
        help="Phone numbers are contact numbers: choose them only when the "
        "department knows they are the registrants' mobile money numbers.",
    )
    replace_other = fields.Boolean(
        string="Replace other FAs",
        help="Registrants whose payment FA differs get the one of their "
        "bank account (or phone number) instead. Off: they keep theirs.",
    )
    chunk_size = fields.Integer(
        default=1000, help="Registrants per job; jobs run side by side."
    )
    previewed = fields.Boolean(readonly=True)
    registrant_count = fields.Integer(string="Registrants", readonly=True)
    create_count = fields.Integer(string="FAs to create", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    invalid_count = fields.Integer(string="Invalid", readonly=True)
    skipped_summary = fields.Text(readonly=True)
    invalid_summary = fields.Text(string="Invalid, by reason", readonly=True)

    @api.onchange("source", "replace_other")
    def _onchange_choice(self):
        self.previewed = False

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_preview(self):
        """Count what the backfill would do, writing nothing."""
        self.ensure_one()
        backfill = self.env["g2p.payment.fa.backfill"]
        backfill._check_admin()
        partners = self.env["res.partner"].sudo()
        domain = backfill._registrant_domain(self.source)
        skipped, invalid = collections.Counter(), collections.Counter()
        count = creating = last_id = 0
        while page := partners.search(
            [("id", ">", last_id), *domain], order="id", limit=PREVIEW_PAGE
        ):
            plan = backfill._plan(page, self.source, self.replace_other)
            skipped.update(plan.skipped)
            invalid.update(plan.invalid)
            creating += len(plan.creating)
            count += len(page)
            last_id = page[-1].id
            partners.invalidate_model()
        self.write(
            {
                "previewed": True,
                "registrant_count": count,
                "create_count": creating,
                "skipped_count": sum(skipped.values()),
                "invalid_count": sum(invalid.values()),
                "skipped_summary": summary(skipped),
                "invalid_summary": summary(invalid),
            }
        )
        return self._reopen()

    def action_start(self):
        self.ensure_one()
        if not self.previewed:
            raise UserError(_("Preview the backfill before starting it."))
        run = self.env["g2p.payment.fa.backfill"]._start(
            self.source, self.replace_other, self.chunk_size
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
        }
