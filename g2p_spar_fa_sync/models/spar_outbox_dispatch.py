# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Dispatch: the job that claims registrant heads, pushes them to SPAR with no
lock held, stores the answers and chains the next job.

The claim, the items and the results of a batch are read and written in plain
SQL, a statement each: through the ORM they cost Odoo more time per row than
SPAR's link does, on the cores SPAR shares.
"""

import contextlib
import logging
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..lib import outbox_states as st
from ..lib import spar_push
from ..lib.backoff import retry_delay
from .spar_outbox_record import upsert_operation

_logger = logging.getLogger(__name__)

DISPATCH_NOW = "g2p_spar_fa_sync.dispatch.now"
DISPATCH_LATER = "g2p_spar_fa_sync.dispatch.later"
# What the claim of each lane takes: the interactive lane only heads of
# registrants with an interactive row waiting (see outbox_states.LANES).
CLAIMABLE = {st.BULK: st.CLAIMABLE_SQL, st.INTERACTIVE: st.INTERACTIVE_HEAD_SQL}
# Batches an interactive job sends at most before handing over to a new job.
INTERACTIVE_ROUNDS = 20
# Keys of the dispatchers' advisory locks (see _as_dispatcher), in
# PostgreSQL's one space of bigint keys: spelled once, here.
DISPATCHERS_ALIVE = 7_365_012_001
DISPATCHERS_GATE = 7_365_012_002


# One model split by concern on purpose: see spar_outbox.py.
# pylint: disable=consider-merging-classes-inherited
class G2pSparOutbox(models.Model):
    _inherit = "g2p.spar.outbox"

    @api.model
    def _schedule_dispatch(self, lane=st.BULK):
        """Enqueue one dispatch job of ``lane`` when the transaction commits.

        Once per transaction, however many rows it wrote: a CSV import of
        ten thousand FAs makes one job, which chains as many as it needs.
        """
        precommit = self.env.cr.precommit
        key = (DISPATCH_NOW, lane)
        if not precommit.data.get(key):
            precommit.data[key] = True
            precommit.add(lambda: self._enqueue_dispatch_at_commit(lane))

    @api.model
    def _enqueue_dispatch_at_commit(self, lane):
        """A job for the rows this transaction wrote, but none for an
        interactive row while a dispatcher lives: every dispatch job takes
        corrections first and the last one to stop looks for them again
        (see ``_as_dispatcher``), and a job per correction cost the bulk
        lane a tenth of its rate."""
        if lane == st.INTERACTIVE:
            self.env.cr.execute(
                "SELECT pg_advisory_xact_lock_shared(%s),"
                " pg_try_advisory_xact_lock(%s)",
                (DISPATCHERS_GATE, DISPATCHERS_ALIVE),
            )
            if not self.env.cr.fetchone()[1]:
                return
        self._enqueue_dispatch(lane=lane)

    @contextlib.contextmanager
    def _as_dispatcher(self):
        """Run the body as one of the live dispatchers, which a commit of an
        interactive row counts on to send it instead of a job of its own.

        The handshake is two advisory locks. A dispatcher holds ALIVE shared
        while it lives. A committing transaction takes GATE shared, then
        tries ALIVE exclusive: only if it gets it (no dispatcher lives) does
        it queue a job; both locks last until it commits. A stopping
        dispatcher lets ALIVE go and takes GATE exclusive, which waits for
        the transactions that found it alive to commit; if it is the last
        one alive (ALIVE exclusive is free), it then looks for their rows
        and queues a job for them. A worker that dies loses its locks with
        its connection; the recovery cron finds what it left.
        """
        with self._dispatcher_session() as cr:
            cr.execute("SELECT pg_advisory_lock_shared(%s)", (DISPATCHERS_ALIVE,))
            try:
                yield
            finally:
                cr.execute(
                    "SELECT pg_advisory_unlock_shared(%s), pg_advisory_lock(%s),"
                    " pg_try_advisory_lock(%s)",
                    (DISPATCHERS_ALIVE, DISPATCHERS_GATE, DISPATCHERS_ALIVE),
                )
                last = cr.fetchone()[2]
                try:
                    if last:
                        with self._own_transaction() as env:
                            outbox = env[self._name]
                            if outbox._any_row(SQL(st.INTERACTIVE_HEAD_SQL)):
                                outbox._enqueue_dispatch(lane=st.INTERACTIVE)
                finally:
                    cr.execute("SELECT pg_advisory_unlock(%s)", (DISPATCHERS_GATE,))
                    if last:
                        cr.execute(
                            "SELECT pg_advisory_unlock(%s)", (DISPATCHERS_ALIVE,)
                        )

    @contextlib.contextmanager
    def _dispatcher_session(self):
        """A database session for a dispatch job's life, in autocommit: its
        advisory locks last as long as it does, no transaction stays open."""
        with contextlib.closing(self.env.registry.cursor()) as cr:
            cr.connection.autocommit = True
            try:
                yield cr
            finally:
                cr.connection.autocommit = False

    @api.model
    def _enqueue_dispatch(self, eta=None, lane=st.BULK):
        outbox = self.sudo()
        if lane == st.INTERACTIVE:
            # No identity key: a job merged into one already queued could
            # claim just before this commit shows its row, leaving the row
            # to the next edit or the cron. A job finding nothing costs a
            # query; a person waits for this one.
            outbox.with_delay()._dispatch_interactive()
        elif eta:
            outbox.with_delay(eta=eta, identity_key=DISPATCH_LATER)._dispatch()
        else:
            outbox.with_delay(identity_key=DISPATCH_NOW)._dispatch()

    @api.model
    def _claim(self, limit, lane=st.BULK):
        """Lock and mark ``sending`` up to ``limit`` registrant heads that
        ``lane`` takes, oldest first.

        Returns the rows and whether more wait: ``limit`` heads were found,
        or a head was left for the next batch because its SPAR ID is in this
        one.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH heads AS (
                    SELECT o.id, o.spar_id FROM g2p_spar_outbox o
                     WHERE %s
                  ORDER BY o.id
                     LIMIT %s
                       FOR UPDATE OF o SKIP LOCKED
                ), batch AS (
                    -- Two registrants can hold one SPAR ID at different
                    -- times (an ID given back and reused): SPAR fails a
                    -- whole batch naming an ID twice.
                    SELECT DISTINCT ON (spar_id) id FROM heads
                  ORDER BY spar_id, id
                ), claimed AS (
                    UPDATE g2p_spar_outbox o
                       SET state = %s,
                           attempts = COALESCE(o.attempts, 0) + 1,
                           sending_since = clock_timestamp() AT TIME ZONE 'UTC',
                           write_date = clock_timestamp() AT TIME ZONE 'UTC'
                      FROM batch WHERE o.id = batch.id
                 RETURNING o.id
                )
                SELECT (SELECT array_agg(id ORDER BY id) FROM claimed),
                       (SELECT count(*) FROM heads)
                """,
                SQL(CLAIMABLE[lane]),
                limit,
                st.SENDING,
            )
        )
        ids, heads = self.env.cr.fetchone()
        rows = self.browse(ids or ())
        self.invalidate_model(["state", "attempts", "sending_since"])
        return rows, heads >= limit or heads > len(rows)

    def _push_items(self):
        """What each row asks of SPAR, in id order: the FA and payment phone
        of the FA record the row links (an FA of another registrant is no FA
        at all), the name the row keeps."""
        self.env.cr.execute(
            """
            SELECT o.id, o.partner_id, o.operation, o.spar_id, o.name,
                   o.signature_rejections, o.server_errors, f.fa_string, f.kind,
                   f.payment_msisdn, f.spar_strategy_id
              FROM g2p_spar_outbox o
              LEFT JOIN g2p_payment_fa f
                ON f.id = o.payment_fa_id AND f.partner_id = o.partner_id
             WHERE o.id = ANY(%s) ORDER BY o.id
            """,
            (self.ids,),
        )
        rows = self.env.cr.dictfetchall()
        mapped = self._accepted_mappings([row["partner_id"] for row in rows])
        linked = {pid: spar_id for pid, (spar_id, _phone) in mapped.items()}
        key = self._details_key()
        items = []
        for row in rows:
            operation = row["operation"]
            details = {}
            if operation != "unlink":
                # Decided anew from what is known now; SPAR's answer corrects it.
                operation = upsert_operation(linked, row["partner_id"], row["spar_id"])
                phone, info = spar_push.snapshot_details(
                    row["kind"],
                    row["payment_msisdn"],
                    row["name"],
                    key,
                    row["spar_strategy_id"],
                )
                details = {
                    "fa": row["fa_string"],
                    "name": row["name"] or None,
                    "phone_number": phone,
                    "additional_info": info,
                    "spar_may_hold_phone": operation != "update"
                    or mapped[row["partner_id"]][1],
                }
            items.append(
                spar_push.PushItem(
                    reference_id=str(row["id"]),
                    operation=operation,
                    spar_id=row["spar_id"],
                    signature_rejections=row["signature_rejections"] or 0,
                    server_errors=row["server_errors"] or 0,
                    **details,
                )
            )
        return items

    @api.model
    def _accepted_mappings(self, partner_ids):
        """{partner id: (SPAR ID, whether it holds a payment phone)} of the
        registrants SPAR maps, from the last row it accepted of each.

        The phone tells whether an update without one would leave a stale
        payment number in SPAR (see ``spar_push._overwrite``).
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (o.partner_id) o.partner_id, o.spar_id,
                       COALESCE(o.sent_operation, o.operation),
                       f.kind = 'mobile' AND f.payment_msisdn IS NOT NULL
                  FROM g2p_spar_outbox o
                  LEFT JOIN g2p_payment_fa f ON f.id = o.payment_fa_id
                 WHERE o.partner_id = ANY(%s) AND o.state = %s
              ORDER BY o.partner_id, o.sequence DESC
                """,
                list(set(partner_ids)),
                st.DONE,
            )
        )
        return {
            partner_id: (spar_id, holds_phone is not False)
            for partner_id, spar_id, operation, holds_phone in self.env.cr.fetchall()
            if operation != "unlink"
        }

    def _attempts(self):
        self.env.cr.execute(
            "SELECT id, attempts FROM g2p_spar_outbox WHERE id = ANY(%s)",
            (self.ids,),
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _dispatch(self):
        """Job of the bulk lane (channel root.spar): a batch of heads, oldest
        first; while more wait it chains the next job before pushing, so
        that batches go in parallel up to the channel's capacity."""
        client, settings = self._dispatch_client()
        with self._as_dispatcher():
            # Corrections first, in a request of their own so that nobody
            # waits for a bulk batch's answer: a job of their own would cost
            # more than the request.
            counts, _more = self._send_batch(
                st.INTERACTIVE, client, settings, chain=False
            )
            bulk, _more = self._send_batch(st.BULK, client, settings, chain=True)
        counts.update(bulk)
        return self._dispatch_summary(counts)

    @api.model
    def _dispatch_interactive(self):
        """Job of the interactive lane (channel root.spar_interactive, a
        capacity of its own): only registrants a person just changed, so a
        correction never waits behind a bulk backlog.

        It claims again while rows wait (up to INTERACTIVE_ROUNDS batches):
        a correction committed while it runs goes in its next round, not
        after a round trip through the job runner.
        """
        client, settings = self._dispatch_client()
        totals = Counter()
        with self._as_dispatcher():
            for _round in range(INTERACTIVE_ROUNDS):
                counts, _more = self._send_batch(
                    st.INTERACTIVE, client, settings, chain=False
                )
                if not counts:
                    break
                totals.update(counts)
            # Rows still waiting after the last round: the last dispatcher
            # to stop queues a job for them.
        return self._dispatch_summary(totals)

    @api.model
    def _dispatch_client(self):
        """The SPAR client and settings, before claiming: a missing URL or
        key fails the job (queue_job retries it) and leaves the rows
        waiting, untouched."""
        connector = self.env["g2p.spar.connector"]
        settings = connector._settings()
        return connector._client(settings), settings

    @staticmethod
    def _dispatch_summary(counts):
        if not counts:
            return _("Nothing to send.")
        return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))

    @api.model
    def _send_batch(self, lane, client, settings, chain):
        """Push a batch of registrant heads of ``lane`` to SPAR; returns how
        many rows got each outcome and whether more heads wait.

        Claim and result are two short transactions; SPAR is called between
        them, holding no lock. A worker killed in between leaves its rows in
        ``sending``; the recovery cron returns them to ``pending`` and the
        link/update fallback makes the resend harmless.
        """
        with self._own_transaction() as env:
            rows, more = env[self._name]._claim(settings.batch_size, lane)
            # Every bulk job first looks for corrections, mostly in vain:
            # an empty claim asks nothing more.
            items = rows._push_items() if rows else []
            claimed = rows._attempts() if rows else {}
        if more and chain:
            with self._own_transaction() as env:
                env[self._name]._enqueue_dispatch(lane=lane)
        if not items:
            return Counter(), more
        try:
            results = spar_push.push_batch(client, items)
        except Exception as error:  # noqa: BLE001 - rows must not stay 'sending'
            _logger.exception("SPAR push of %d rows failed unexpectedly", len(items))
            failure = spar_push.PushResult(
                "failed", error=f"{type(error).__name__}: {str(error)[:300]}"
            )
            results = {item.reference_id: failure for item in items}
        expected = {}
        with self._own_transaction() as env:
            outbox = env[self._name]
            done_ids = outbox._record_results(claimed, results, settings)
            if any(r.outcome == "retry" for r in results.values()):
                outbox._schedule_retry_wakeup()
            if not settings.verify_after_push:
                # Finished at done: no read-back will need the name.
                outbox.browse(done_ids)._forget_clear_text()
            elif done_ids:
                # A person waits for these: read them back now, not after
                # the bulk backlog (the read-back job's turn).
                expected = outbox._interactive_expectations(done_ids)
        if not done_ids:
            return Counter(result.outcome for result in results.values()), more
        read = self._resolve_now(client, expected) if expected else {}
        # Once the results are committed: a row committed later finds them
        # done when the job its commit queued claims. One transaction for
        # what follows a batch: a correction costs the bulk lane what its
        # transactions cost.
        with self._own_transaction() as env:
            outbox = env[self._name]
            if read:
                outbox._record_read_back(read)
            for next_lane in (st.INTERACTIVE, st.BULK):
                if outbox._next_rows_claimable(done_ids, next_lane):
                    outbox._enqueue_dispatch(lane=next_lane)
                    break
            # The rest once the backlog is sent: the last job of a drain
            # queues the read-back job, for everything done so far. Asked of
            # the table, not of this job's claim: a job that claimed a full
            # batch can still be the last to finish; and after the read-back
            # above, so that a correction read back already queues no job
            # that would find nothing to do.
            unread = SQL(
                "o.id = ANY(%s) AND %s", done_ids, SQL(st.AWAITING_READ_BACK_SQL)
            )
            if (
                settings.verify_after_push
                and outbox._any_row(unread)
                and not outbox._claimable_exists()
            ):
                outbox._enqueue_read_back()
        return Counter(result.outcome for result in results.values()), more

    @api.model
    def _record_results(self, claimed, results, settings):
        """Store SPAR's answers, unless a row was taken from this job, and
        return the ids of the rows now done.

        A row returned to ``pending`` by the recovery cron and claimed again
        has more attempts than this job claimed it with: its newer attempt
        owns it.
        """
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id, attempts FROM g2p_spar_outbox o"
                " WHERE id = ANY(%s) AND %s FOR UPDATE",
                list(claimed),
                SQL(st.sql_in("o.state", st.sources("result"))),
            )
        )
        now = fields.Datetime.now()
        columns = defaultdict(list)
        for row_id, attempts in self.env.cr.fetchall():
            if claimed[row_id] != attempts:
                continue
            result = results[str(row_id)]
            done = result.outcome == "done"
            retry_at = None
            if result.outcome == "retry":
                delay = retry_delay(
                    attempts, settings.retry_base_seconds, settings.retry_cap_seconds
                )
                retry_at = now + timedelta(seconds=delay)
            for column, value in (
                ("id", row_id),
                ("state", st.STATE_AFTER_PUSH[result.outcome]),
                ("sent_operation", result.sent_operation if done else None),
                ("done_at", now if done else None),
                ("last_error", None if done else result.error),
                ("next_attempt_at", retry_at),
                ("reason_code", result.reason_code),
                ("message_id", result.message_id),
                ("transaction_id", result.transaction_id),
                ("signature_rejections", result.signature_rejections),
                ("server_errors", result.server_errors),
            ):
                columns[column].append(value)
        if not columns:
            return []
        self.env.cr.execute(
            """
            UPDATE g2p_spar_outbox o
               SET state = r.state, sent_operation = r.sent_operation,
                   done_at = r.done_at, last_error = r.last_error,
                   next_attempt_at = r.next_attempt_at,
                   reason_code = r.reason_code, message_id = r.message_id,
                   transaction_id = r.transaction_id,
                   signature_rejections = r.signature_rejections,
                   server_errors = r.server_errors,
                   sending_since = NULL, write_uid = %s,
                   write_date = clock_timestamp() AT TIME ZONE 'UTC'
              FROM unnest(%s::int[], %s::varchar[], %s::varchar[],
                          %s::timestamp[], %s::text[], %s::timestamp[],
                          %s::varchar[], %s::varchar[], %s::varchar[], %s::int[],
                          %s::int[])
                AS r(id, state, sent_operation, done_at, last_error,
                     next_attempt_at, reason_code, message_id, transaction_id,
                     signature_rejections, server_errors)
             WHERE o.id = r.id
            """,
            [self.env.uid, *columns.values()],
        )
        self.invalidate_model()
        return [
            row_id
            for row_id, state in zip(columns["id"], columns["state"], strict=True)
            if state == st.DONE
        ]

    @api.model
    def _next_rows_claimable(self, row_ids, lane=st.BULK):
        """Whether a registrant of these rows (just done) can send its next
        row now, in ``lane``.

        Nothing else queues a job for it: the job its commit queued found it
        behind the row in flight (or it was written with it, as the link of
        a new SPAR ID is with the unlink of the old one), and the recovery
        cron would take up to a minute. One statement that looks up these
        rows' registrants by index, whatever the backlog: written as ``IN
        (subquery)``, PostgreSQL walked every waiting row instead (30 ms a
        batch while 30,000 rows drained).
        """
        if not row_ids:
            return False
        self.env.cr.execute(
            SQL(
                """
                SELECT 1 FROM g2p_spar_outbox o
                 WHERE o.partner_id = ANY(ARRAY(
                        SELECT DISTINCT partner_id FROM g2p_spar_outbox
                         WHERE id = ANY(%s)))
                   AND %s
                 LIMIT 1
                """,
                row_ids,
                SQL(CLAIMABLE[lane]),
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _schedule_retry_wakeup(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT min(next_attempt_at) FROM g2p_spar_outbox WHERE %s",
                SQL(st.sql_in("state", (st.RETRY_WAIT,))),
            )
        )
        eta = self.env.cr.fetchone()[0]
        if eta:
            self._enqueue_dispatch(eta=eta)
