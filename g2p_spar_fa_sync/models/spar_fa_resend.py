# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_presets import PRESET_LABELS

# Registrants per job: one create() of their new FAs and their outbox rows,
# short enough for a job to finish well within the runner's timeout.
CHUNK_SIZE = 500
# Refusals listed on the run; past it only counted, or a format every FA
# fails would store one line per registrant.
REFUSALS_SHOWN = 200
ADMIN = "g2p_spar_fa_base.group_fa_admin"


class G2pSparFaResend(models.Model):
    """One "re-send every FA in the current format" run.

    Changing the FA format changes nothing SPAR holds: the FA records keep
    the strings they were built with. A run records, registrant by
    registrant, the current FA again wherever the current format builds
    another string from its values (a new FA record, so the history shows
    the format change, and an ordered outbox row through the same path as
    any change). FAs whose string would not change are left alone: sending
    SPAR what it holds would cost a request per registrant and change
    nothing. So a second run after a finished one only sends what changed
    since; a second start while one is running returns the running one.
    """

    _name = "g2p.spar.fa.resend"
    _description = "Re-send of every FA in the current format"
    _order = "id desc"

    name = fields.Char(string="Format", required=True, readonly=True)
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")],
        default="running",
        required=True,
        readonly=True,
    )
    total_count = fields.Integer(string="Registrants", readonly=True)
    processed_count = fields.Integer(string="Processed", readonly=True)
    resent_count = fields.Integer(string="Re-sent", readonly=True)
    unchanged_count = fields.Integer(
        string="Already in the Format",
        readonly=True,
        help="Registrants whose FA string the format does not change.",
    )
    refused_count = fields.Integer(
        string="Refused",
        readonly=True,
        help="FAs the format cannot take (a value it needs is missing); they "
        "stay as they are until someone completes them.",
    )
    refusals = fields.Text(readonly=True)
    progress = fields.Float(compute="_compute_progress")
    finished_at = fields.Datetime(readonly=True)

    @api.depends("processed_count", "total_count")
    def _compute_progress(self):
        for run in self:
            run.progress = (
                100.0 * run.processed_count / run.total_count
                if run.total_count
                else 100.0
            )

    @api.model
    def _start(self):
        """Start a run over every registrant with an FA, or return the one
        still running: its jobs cover every registrant already."""
        if not self.env.user.has_group(ADMIN):
            raise AccessError(
                _("Only FA administrators may re-send every financial address.")
            )
        runs = self.sudo()
        # Two managers clicking at once must not start two runs.
        self.env.cr.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._name,))
        running = runs.search([("state", "=", "running")], limit=1)
        if running:
            return running
        self.env.cr.execute(
            "SELECT DISTINCT partner_id FROM g2p_payment_fa WHERE active"
            " ORDER BY partner_id"
        )
        partner_ids = [partner_id for (partner_id,) in self.env.cr.fetchall()]
        preset = self.env["g2p.payment.fa"]._get_fa_settings().fa_preset
        run = runs.create(
            {
                "name": dict(PRESET_LABELS).get(preset, preset),
                "total_count": len(partner_ids),
            }
        )
        for start in range(0, len(partner_ids), CHUNK_SIZE):
            run.with_delay(
                description=_("Re-send FAs in the format %(format)s", format=run.name)
            )._resend_chunk(partner_ids[start : start + CHUNK_SIZE])
        if not partner_ids:
            run.write({"state": "done", "finished_at": fields.Datetime.now()})
        return run

    def _resend_chunk(self, partner_ids):
        """Job: record these registrants' FAs again where the format changes
        them, and count them into the run."""
        self.ensure_one()
        reason = _("Re-sent in the format %(format)s", format=self.name)
        with change.recording(self.env, change.ChangeContext(change.FORMAT, reason)):
            recorded, unchanged, refused = self.env["g2p.payment.fa"]._reformat(
                partner_ids
            )
        lines = [
            f"{partner.display_name}: {refused[partner.id]}"
            for partner in self.env["res.partner"].sudo().browse(list(refused))
        ]
        # Chunks run in parallel: the run's row is locked while one adds its
        # counts (a concurrent chunk waits, or retries on a serialization
        # failure as any job does), so no count is lost.
        self.env.cr.execute(
            "SELECT id FROM g2p_spar_fa_resend WHERE id = %s FOR UPDATE", (self.id,)
        )
        self.invalidate_recordset()
        processed = self.processed_count + len(partner_ids)
        vals = {
            "processed_count": processed,
            "resent_count": self.resent_count + len(recorded),
            "unchanged_count": self.unchanged_count + unchanged,
            "refused_count": self.refused_count + len(refused),
        }
        if lines and self.refused_count < REFUSALS_SHOWN:
            vals["refusals"] = "\n".join(filter(None, [self.refusals, *lines]))
        if processed >= self.total_count:
            vals.update(state="done", finished_at=fields.Datetime.now())
        # Runs are the system's records: FA administrators only read them.
        self.sudo().write(vals)
        return _(
            "%(resent)s re-sent, %(unchanged)s unchanged, %(refused)s refused",
            resent=len(recorded),
            unchanged=unchanged,
            refused=len(refused),
        )
