# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Read-back and recovery: checking in SPAR what it accepted, and the cron
that takes back rows of dead workers and requeues jobs that gave up."""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import outbox_states as st
from ..lib import spar_push
from ..lib.spar_protocol import SparError

_logger = logging.getLogger(__name__)

READ_BACK = "g2p_spar_fa_sync.read_back"
# Below dispatch (queue_job's default is 10): with a backlog, SPAR's time goes
# to getting FAs in first; the read-back follows in larger batches.
READ_BACK_PRIORITY = 20
# Rows read back per job, in one resolve: a resolve costs SPAR a fraction of
# a link per ID, and most of a small request's cost is fixed.
READ_BACK_BATCH = 2000
# A row whose verdict is still open (the ``read_back`` move starts there).
UNREAD = SQL(st.sql_in("o.verification", st.sources("read_back")))


# One model split by concern on purpose: see spar_outbox.py.
# pylint: disable=consider-merging-classes-inherited
class G2pSparOutbox(models.Model):
    _inherit = "g2p.spar.outbox"

    @api.model
    def _enqueue_read_back(self):
        self.sudo().with_delay(
            priority=READ_BACK_PRIORITY, identity_key=READ_BACK
        )._read_back()

    @api.model
    def _read_back(self):
        """Job: resolve what SPAR accepted and compare it with the snapshot
        of the row's FA record (FA, name and phone digest, FA kind).

        Apart from the push so that a backlog reaches SPAR first: the push
        only waits for SPAR's answer, and this job checks a few moments
        later, in one resolve for many rows. When SPAR cannot answer, the job
        is retried later and the rows stay unverified, never lost.
        """
        connector = self.env["g2p.spar.connector"]
        client = connector._client(connector._settings())
        with self._own_transaction() as env:
            found, expected = env[self._name]._awaiting_read_back(
                SQL("TRUE"), READ_BACK_BATCH + 1
            )
        expected = dict(list(expected.items())[:READ_BACK_BATCH])
        if not expected:
            return _("Nothing to read back.")
        try:
            read = spar_push.read_back(client, expected, READ_BACK_BATCH)
        except SparError as error:
            # Backs off per the job function's retry pattern; past it, the
            # recovery cron enqueues a new job.
            raise RetryableJobError(
                f"SPAR could not resolve for the read-back: {error}"
            ) from error
        with self._own_transaction() as env:
            outbox = env[self._name]
            counts = outbox._record_read_back(read)
            if found > READ_BACK_BATCH:
                outbox._enqueue_read_back()
        return ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))

    @api.model
    def _interactive_expectations(self, row_ids):
        """What SPAR should hold for the rows of ``row_ids`` a person waits
        for (the interactive lane), to read them back right after the push
        while a bulk backlog still drains (see ``_awaiting_read_back``)."""
        _found, expected = self._awaiting_read_back(
            SQL("o.id = ANY(%s) AND %s", list(row_ids), SQL(st.INTERACTIVE_SQL)),
            len(row_ids),
        )
        return expected

    @api.model
    def _resolve_now(self, client, expected):
        """One resolve of a few IDs, with no transaction open: what SPAR
        holds for ``expected``, or nothing when SPAR cannot answer now (the
        rows stay unverified for the read-back job, which the recovery cron
        queues)."""
        try:
            return spar_push.read_back(client, expected, READ_BACK_BATCH)
        except SparError as error:
            _logger.warning("read-back of %d rows postponed: %s", len(expected), error)
            return {}

    @api.model
    def _awaiting_read_back(self, condition, limit):
        """How many rows meeting ``condition`` await their read-back (up to
        ``limit``), and what SPAR should hold for each, oldest first:
        {reference_id: (SPAR ID, FA, details)}.

        What the FA record says, not what the row says it sent; a row whose
        FA record is gone expects an FA no mapping can match.
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT o.id, o.spar_id, o.name, f.fa_string, f.kind,
                       f.payment_msisdn, f.spar_strategy_id
                  FROM g2p_spar_outbox o
                  LEFT JOIN g2p_payment_fa f
                    ON f.id = o.payment_fa_id AND f.partner_id = o.partner_id
                 WHERE %s AND %s ORDER BY o.id LIMIT %s
                """,
                SQL(st.AWAITING_READ_BACK_SQL),
                condition,
                limit,
            )
        )
        found = self.env.cr.fetchall()
        key = self._details_key()
        return len(found), {
            str(row_id): (
                spar_id,
                *(
                    spar_push.expected_snapshot(fa, kind, msisdn, name, key, strategy)
                    or (None, ())
                ),
            )
            for row_id, spar_id, name, fa, kind, msisdn, strategy in found
        }

    @api.model
    def _record_read_back(self, read):
        """Store the verdicts ({reference_id: ReadBack}); returns how many
        rows got each.

        A later row of the registrant claimed since may have reached SPAR
        before the resolve: the row is then ``replaced``, not compared. Its
        claim committed before it was sent, so it is seen here.
        """
        self.env.cr.execute(
            SQL(
                """
                UPDATE g2p_spar_outbox o
                   SET verification = %s, name = NULL,
                       write_date = clock_timestamp() AT TIME ZONE 'UTC'
                 WHERE o.id = ANY(%s) AND %s
                   AND EXISTS (
                       SELECT 1 FROM g2p_spar_outbox n
                        WHERE n.partner_id = o.partner_id
                          AND n.sequence > o.sequence AND n.attempts > 0)
             RETURNING o.id
                """,
                st.REPLACED,
                [int(reference_id) for reference_id in read],
                UNREAD,
            )
        )
        replaced = {row_id for (row_id,) in self.env.cr.fetchall()}
        counts = {st.REPLACED: len(replaced)} if replaced else {}
        columns = defaultdict(list)
        for reference_id, verdict in read.items():
            if int(reference_id) in replaced:
                continue
            columns["id"].append(int(reference_id))
            columns["verification"].append(verdict.verification)
            columns["spar_fa_masked"].append(verdict.spar_fa_masked)
            counts[verdict.verification] = counts.get(verdict.verification, 0) + 1
        if columns:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE g2p_spar_outbox o
                       SET verification = r.verification,
                           spar_fa_masked = r.spar_fa_masked, name = NULL,
                           verified_at = now() AT TIME ZONE 'UTC',
                           write_date = clock_timestamp() AT TIME ZONE 'UTC'
                      FROM unnest(%s::int[], %s::varchar[], %s::varchar[])
                        AS r(id, verification, spar_fa_masked)
                     WHERE o.id = r.id AND %s
                    """,
                    *columns.values(),
                    UNREAD,
                )
            )
        self.invalidate_model(["verification", "spar_fa_masked", "verified_at", "name"])
        return counts

    @api.model
    def _cron_recover(self):
        """Return rows stuck in ``sending`` to ``pending`` and make sure a
        dispatch job exists while rows are due, and a read-back job while
        rows wait for one (a job may have run out of retries).

        A row stays in ``sending`` only when its worker died between claim and
        result; resending it is harmless thanks to the link/update fallback.
        """
        settings = self.env["g2p.spar.connector"]._settings()
        stuck_before = fields.Datetime.now() - timedelta(
            seconds=settings.sending_timeout_seconds
        )
        stuck = self.search(
            [
                ("state", "in", st.sources("recover")),
                ("sending_since", "<", stuck_before),
            ]
        )
        if stuck:
            _logger.warning("returning %d stuck outbox rows to pending", len(stuck))
            stuck.write({"state": st.PENDING, "sending_since": False})
        if self._claimable_exists():
            self._enqueue_dispatch()
        if self._any_row(SQL(st.INTERACTIVE_HEAD_SQL)):
            self._enqueue_dispatch(lane=st.INTERACTIVE)
        if settings.verify_after_push and self._unverified_exists():
            self._enqueue_read_back()
