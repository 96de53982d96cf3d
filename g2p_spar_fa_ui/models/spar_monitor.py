# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models

from odoo.addons.g2p_spar_fa_sync.lib import outbox_states as st

# Count field -> (search filter of the outbox action, domain).
COUNTS = {
    "pending_count": ("filter_pending", [("state", "in", (st.PENDING, st.SENDING))]),
    "retry_count": ("filter_retrying", [("state", "=", st.RETRY_WAIT)]),
    "failed_count": ("filter_failed", [("state", "=", st.FAILED)]),
    "overdue_count": ("filter_overdue", [("is_overdue", "=", True)]),
    "mismatch_count": ("filter_mismatch", [("verification", "=", st.MISMATCH)]),
    "done_count": ("filter_done", [("state", "=", st.DONE)]),
}


class G2pSparMonitor(models.TransientModel):
    """Counts of the outbox at a glance, each opening the rows behind it."""

    _name = "g2p.spar.monitor"
    _description = "SPAR Outbox Dashboard"

    pending_count = fields.Integer(string="Pending", compute="_compute_counts")
    retry_count = fields.Integer(string="Retrying", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    overdue_count = fields.Integer(string="Pending too long", compute="_compute_counts")
    mismatch_count = fields.Integer(string="Mismatch", compute="_compute_counts")
    done_count = fields.Integer(string="Done", compute="_compute_counts")
    drift_count = fields.Integer(
        string="Drift", compute="_compute_counts", help="In the latest reconciliation."
    )
    reconciliation_id = fields.Many2one(
        "g2p.spar.reconciliation",
        string="Latest Reconciliation",
        compute="_compute_counts",
    )

    @api.depends_context("uid")
    def _compute_counts(self):
        outbox = self.env["g2p.spar.outbox"]
        counts = {
            name: outbox.search_count(domain) for name, (_f, domain) in COUNTS.items()
        }
        run = self.env["g2p.spar.reconciliation"].search(
            [("state", "=", st.DONE)], limit=1
        )
        for monitor in self:
            monitor.update(counts)
            monitor.reconciliation_id = run
            monitor.drift_count = run.drift_count

    @api.model
    def action_open(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("SPAR Dashboard"),
            "res_model": self._name,
            "res_id": self.create({}).id,
            "view_mode": "form",
            "target": "current",
        }

    def action_open_rows(self):
        """The outbox rows behind one count (``count`` in the context)."""
        search_filter, _domain = COUNTS[self.env.context["count"]]
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "g2p_spar_fa_ui.action_spar_outbox"
        )
        action["context"] = {f"search_default_{search_filter}": 1}
        return action

    def action_open_drift(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Drift"),
            "res_model": "g2p.spar.drift",
            "view_mode": "tree",
            "domain": [("reconciliation_id", "=", self.reconciliation_id.id)],
        }
