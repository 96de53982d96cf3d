# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo import fields, models

from odoo.addons.g2p_spar_fa_base import change


class G2pPaymentFaBackfillChunk(models.Model):
    """The registrants one job of a backfill run handles, and its outcome.

    Each job writes only its own chunk, so jobs running side by side never
    wait for each other on a shared counter; the run adds them up.
    """

    _name = "g2p.payment.fa.backfill.chunk"
    _description = "Payment FA Backfill Chunk"
    _order = "backfill_id, id"

    backfill_id = fields.Many2one(
        "g2p.payment.fa.backfill", required=True, ondelete="cascade", index=True
    )
    partner_ids_json = fields.Text(required=True, readonly=True)
    size = fields.Integer(string="Registrants", readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Done")],
        default="pending",
        required=True,
        readonly=True,
    )
    created_count = fields.Integer(string="FAs created", readonly=True)
    skipped_reasons = fields.Text(readonly=True)
    invalid_reasons = fields.Text(readonly=True)

    def _run(self):
        """Job: create the chunk's FAs through the FA model in one go, so
        their outbox rows are written in the same transaction.

        A chunk run again (a job retried after a crash) finds the FAs it
        created and skips them.
        """
        self.ensure_one()
        if self.state == "done":
            return
        run = self.backfill_id
        partners = self.env["res.partner"].browse(json.loads(self.partner_ids_json))
        plan = run._plan(partners.exists(), run.source, run.replace_other)
        with change.recording(self.env, change.ChangeContext(change.BACKFILL)):
            self.env["g2p.payment.fa"].sudo().with_context(
                tracking_disable=True
            ).create(plan.creating)
        self.sudo().write(
            {
                "state": "done",
                "created_count": len(plan.creating),
                "skipped_reasons": json.dumps(dict(plan.skipped)),
                "invalid_reasons": json.dumps(dict(plan.invalid)),
            }
        )
