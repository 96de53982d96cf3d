# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models

from ..lib import spar_protocol, spar_push
from ..lib.drift import drift_kind
from ..lib.outbox_states import DONE, UNFINISHED

RESOLVE_BATCH = 1000


class G2pSparReconciliation(models.Model):
    """A comparison of every registrant's FA here with what SPAR resolves.

    Payment systems pay whatever SPAR resolves, so drift (a mapping missing
    in SPAR, a different FA, other details -- name, payment phone, FA kind --
    than ours, or a mapping left in SPAR for a registrant whose FA was
    removed here) must be found before a disbursement cycle, not after.
    What is expected comes from the registrant's current FA record, never
    from an outbox row. So must a mapping left under a SPAR ID no registrant
    holds any more (a merged-away registrant, an old registrant ID), which no
    registrant's comparison would reach.
    Registrants whose change is still on its way (an unfinished outbox row)
    are skipped: they are not drift, only late.
    """

    _name = "g2p.spar.reconciliation"
    _description = "SPAR Reconciliation Run"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda s: fields.Datetime.now())
    state = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="running",
        required=True,
        readonly=True,
    )
    finished_at = fields.Datetime(readonly=True)
    checked_count = fields.Integer(readonly=True)
    in_sync_count = fields.Integer(readonly=True)
    skipped_count = fields.Integer(
        readonly=True, help="Registrants with a change still on its way to SPAR."
    )
    drift_ids = fields.One2many("g2p.spar.drift", "reconciliation_id", readonly=True)
    drift_count = fields.Integer(compute="_compute_drift_count")
    error = fields.Text(readonly=True)

    @api.depends("drift_ids")
    def _compute_drift_count(self):
        counts = dict(
            self.env["g2p.spar.drift"]._read_group(
                [("reconciliation_id", "in", self.ids)],
                ["reconciliation_id"],
                ["__count"],
            )
        )
        for run in self:
            run.drift_count = counts.get(run, 0)

    @api.model
    def _cron_start(self):
        run = self.create({})
        run.with_delay()._run()
        return run

    def action_start(self):
        """Start a run now; it lands in the list when the job finishes."""
        self._cron_start()
        return {"type": "ir.actions.client", "tag": "reload"}

    def _expected_fas(self, after_id, limit):
        """[(partner id, spar id, expected (FA, additional_info) or None)] of
        the next ``limit`` registrants after ``after_id`` that have or had an
        FA, the ones still in flight left out. Pages by id, so a run over a
        million registrants holds one page in memory, not all of them."""
        key = self.env["g2p.spar.outbox"]._details_key()
        self.env.cr.execute(
            """
            SELECT p.id, p.spar_id, CASE WHEN p.active THEN fa.fa_string END,
                   fa.kind, fa.payment_msisdn, p.name, fa.spar_strategy_id
              FROM res_partner p
              LEFT JOIN g2p_payment_fa fa ON fa.partner_id = p.id AND fa.active
             WHERE p.id > %s AND p.spar_id IS NOT NULL
               AND EXISTS (SELECT 1 FROM g2p_payment_fa h WHERE h.partner_id = p.id)
               AND NOT EXISTS (
                    SELECT 1 FROM g2p_spar_outbox o
                     WHERE o.partner_id = p.id
                       AND o.state IN %s)
          ORDER BY p.id
             LIMIT %s
            """,
            (after_id, UNFINISHED, limit),
        )
        return [
            (
                pid,
                spar_id,
                spar_push.expected_snapshot(fa, kind, msisdn, name, key, strategy),
            )
            for pid, spar_id, fa, kind, msisdn, name, strategy in self.env.cr.fetchall()
        ]

    def _run(self):
        """Job: resolve every registrant page by page and record the drift."""
        self.ensure_one()
        connector = self.env["g2p.spar.connector"]
        client = connector._client(connector._settings())
        self.env.cr.execute(
            "SELECT count(DISTINCT partner_id) FROM g2p_spar_outbox WHERE state IN %s",
            (UNFINISHED,),
        )
        skipped = self.env.cr.fetchone()[0]
        checked = drifted = 0
        last_id = 0
        try:
            while page := self._expected_fas(last_id, RESOLVE_BATCH):
                last_id = page[-1][0]
                held = spar_push.resolve_mappings(
                    client, [spar_id for _pid, spar_id, _want in page], RESOLVE_BATCH
                )
                drift = self._record_drift(page, held)
                checked += len(page)
                drifted += len(drift)
            orphans = self._check_orphan_mappings(client)
        except spar_protocol.SparError as error:
            # The drift found before SPAR stopped answering is kept.
            self.write(
                {
                    "state": "failed",
                    "finished_at": fields.Datetime.now(),
                    "checked_count": checked,
                    "error": str(error),
                }
            )
            return str(error)
        self.write(
            {
                "state": "done",
                "finished_at": fields.Datetime.now(),
                "checked_count": checked,
                "in_sync_count": checked - drifted,
                "skipped_count": skipped,
            }
        )
        return _(
            "%(n)s registrants checked, %(d)s drifted, %(o)s orphan mappings",
            n=checked,
            d=drifted,
            o=orphans,
        )

    def _orphan_spar_ids(self, after_spar_id, limit):
        """[(spar id, registrant holding its rows)] of the next ``limit`` SPAR
        IDs after ``after_spar_id`` that SPAR once accepted a link or update
        for and that no registrant holds now, the ones with a row still on
        its way left out. Such a mapping has no registrant to compare with,
        so the registrant pages never see it. Paged by SPAR ID along its
        index, one page in memory."""
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (o.spar_id) o.spar_id, o.partner_id
              FROM g2p_spar_outbox o
             WHERE o.spar_id > %s
               AND o.state = %s AND o.sent_operation IN ('link', 'update')
               AND NOT EXISTS (
                    SELECT 1 FROM res_partner p WHERE p.spar_id = o.spar_id)
               AND NOT EXISTS (
                    SELECT 1 FROM g2p_spar_outbox u
                     WHERE u.spar_id = o.spar_id AND u.state IN %s)
          ORDER BY o.spar_id, o.id DESC
             LIMIT %s
            """,
            (after_spar_id, DONE, UNFINISHED, limit),
        )
        return self.env.cr.fetchall()

    def _check_orphan_mappings(self, client):
        """Record the SPAR IDs no registrant holds that SPAR still maps: a
        payment system would still pay them. Returns how many."""
        self.env.flush_all()
        found = 0
        last_spar_id = ""
        while page := self._orphan_spar_ids(last_spar_id, RESOLVE_BATCH):
            last_spar_id = page[-1][0]
            held = spar_push.resolve_fas(
                client, [spar_id for spar_id, _pid in page], RESOLVE_BATCH
            )
            drift = self.env["g2p.spar.drift"].create(
                [
                    {
                        "reconciliation_id": self.id,
                        "partner_id": pid,
                        "spar_id": spar_id,
                        "kind": "orphan_mapping",
                        "spar_fa_masked": spar_protocol.redact(held[spar_id]),
                    }
                    for spar_id, pid in page
                    if held.get(spar_id) is not None
                ]
            )
            found += len(drift)
        return found

    def _record_drift(self, page, held):
        drift_vals = []
        for pid, spar_id, want in page:
            kind = drift_kind(want, held.get(spar_id))
            if kind:
                drift_vals.append(
                    {
                        "reconciliation_id": self.id,
                        "partner_id": pid,
                        "spar_id": spar_id,
                        "kind": kind,
                        "expected_fa_masked": spar_protocol.redact(want and want[0]),
                        "spar_fa_masked": spar_protocol.redact(
                            held.get(spar_id) and held[spar_id][0]
                        ),
                    }
                )
        return self.env["g2p.spar.drift"].create(drift_vals)
