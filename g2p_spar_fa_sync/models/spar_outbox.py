# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import logging
import threading
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.queue_job.exception import RetryableJobError

from ..lib import spar_push
from ..lib.backoff import retry_delay
from ..lib.spar_protocol import SparError

_logger = logging.getLogger(__name__)

MANAGER = "g2p_spar_fa_base.group_fa_manager"
# A registrant's rows in these states still have to reach SPAR (or a person).
# The SQL below spells them out where a partial index must match.
UNFINISHED = ("pending", "sending", "retry_wait", "failed")
# A row can be sent when it waits, is due, and is its registrant's head.
# clock_timestamp(), not now(): a long transaction must not see rows as not
# yet due because its start time lags behind.
CLAIMABLE = SQL(
    """
    o.state IN ('pending', 'retry_wait')
    AND (o.next_attempt_at IS NULL
         OR o.next_attempt_at <= clock_timestamp() AT TIME ZONE 'UTC')
    AND NOT EXISTS (
        SELECT 1 FROM g2p_spar_outbox e
         WHERE e.partner_id = o.partner_id
           AND e.sequence < o.sequence
           AND e.state IN ('pending', 'sending', 'retry_wait', 'failed'))
    """
)
# A row SPAR accepted whose mapping has not been read back yet. The same
# predicate as the partial index g2p_spar_outbox_unverified_idx.
UNVERIFIED = SQL(
    """
    o.state = 'done' AND o.verification = 'unverified'
    AND o.sent_operation IN ('link', 'update')
    """
)
DISPATCH_NOW = "g2p_spar_fa_sync.dispatch.now"
DISPATCH_LATER = "g2p_spar_fa_sync.dispatch.later"
READ_BACK = "g2p_spar_fa_sync.read_back"
# Below dispatch (queue_job's default is 10): with a backlog, SPAR's time goes
# to getting FAs in first; the read-back follows in larger batches.
READ_BACK_PRIORITY = 20
# Rows read back per job, in one resolve: a resolve costs SPAR a fraction of
# a link per ID, and most of a small request's cost is fixed.
READ_BACK_BATCH = 2000
# What the suite's own code moves on as a row is delivered. Everything else
# is the change itself (registrant, SPAR ID, FA, name, channel, author...):
# fixed when the row is written, so that no one can make a row send or
# vouch for anything but the change that was made.
DELIVERY_FIELDS = frozenset(
    {
        "state",
        "superseded_by_id",
        "attempts",
        "signature_rejections",
        "server_errors",
        "next_attempt_at",
        "sending_since",
        "done_at",
        "last_error",
        "reason_code",
        "message_id",
        "transaction_id",
        "sent_operation",
        "verification",
        "verified_at",
        "spar_fa_masked",
    }
)


def _upsert_operation(linked, partner_id, spar_id):
    """Update when the registrant is mapped under this SPAR ID, else link."""
    return "update" if linked.get(partner_id) == spar_id else "link"


class G2pSparOutbox(models.Model):
    """What SPAR must hold for a registrant, written with the change itself.

    Every change of a registrant's payment FA writes a row in the same
    database transaction, so a committed change always has a row and a
    rolled-back one never has. Rows carry a full snapshot (not a diff): SPAR
    keeps state, so only the latest snapshot of a registrant matters and an
    older row still waiting is superseded by a newer one for the same SPAR ID.

    Rows of one registrant reach SPAR strictly in ``sequence`` order: only
    the oldest unfinished row of a registrant (its head) can be claimed.
    Different registrants go in parallel, claimed with ``FOR UPDATE SKIP
    LOCKED`` by any number of jobs, workers or Odoo nodes.

    A row links the FA record it carries (validated, immutable) instead of
    copying its values: the push and the read-back take the FA and payment
    phone from there, so a row can neither send nor vouch for another FA.
    The only clear value a row holds, the name to send, is forgotten once
    the row is finished.
    """

    _name = "g2p.spar.outbox"
    _description = "SPAR Outbox Row"
    _order = "id desc"
    _rec_name = "reference_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    sequence = fields.Integer(
        required=True,
        readonly=True,
        help="Order of this row among the registrant's rows.",
    )
    operation = fields.Selection(
        [("link", "Link"), ("update", "Update"), ("unlink", "Unlink")],
        required=True,
        readonly=True,
        help="Operation planned from what was known when the row was written.",
    )
    sent_operation = fields.Selection(
        [("link", "Link"), ("update", "Update"), ("unlink", "Unlink")],
        readonly=True,
        help="Operation SPAR accepted, after falling back on its answer "
        "(a link of a mapped ID becomes an update, and the reverse).",
    )
    spar_id = fields.Char(string="SPAR ID", required=True, readonly=True, index=True)
    payment_fa_id = fields.Many2one(
        "g2p.payment.fa",
        string="Payment FA",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The FA of the registrant's history this row makes SPAR hold "
        "(none for an unlink, or once an FA administrator deleted it from "
        "the history after the row was finished).",
    )
    fa = fields.Char(
        string="Financial Address",
        related="payment_fa_id.fa_string",
        groups=MANAGER,
    )
    fa_masked = fields.Char(string="Financial Address (masked)", readonly=True)
    name = fields.Char(
        string="Name to send",
        readonly=True,
        groups=MANAGER,
        help="Kept until the row is finished, then forgotten.",
    )
    phone_number = fields.Char(
        string="Payment phone",
        compute="_compute_phone_number",
        groups=MANAGER,
    )
    channel = fields.Selection(
        list(change.CHANNELS), required=True, readonly=True, default=change.CODE
    )
    user_id = fields.Many2one(
        "res.users", string="Changed by", readonly=True, default=lambda s: s.env.uid
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sending", "Sending"),
            ("retry_wait", "Waiting to retry"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("superseded", "Superseded"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="pending",
        readonly=True,
        index=True,
    )
    superseded_by_id = fields.Many2one("g2p.spar.outbox", readonly=True)
    attempts = fields.Integer(readonly=True, default=0)
    signature_rejections = fields.Integer(
        readonly=True,
        default=0,
        help="SPAR rejected the request signature this many times in a row.",
    )
    server_errors = fields.Integer(
        readonly=True,
        default=0,
        help="SPAR failed a request holding only this row this many times in a "
        "row with an HTTP 5xx error; at 5 the row fails.",
    )
    next_attempt_at = fields.Datetime(readonly=True)
    sending_since = fields.Datetime(readonly=True)
    done_at = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True, help="FA values are redacted.")
    reason_code = fields.Char(readonly=True, help="SPAR's reason code.")
    message_id = fields.Char(string="SPAR message ID", readonly=True)
    transaction_id = fields.Char(string="SPAR transaction ID", readonly=True)
    reference_id = fields.Char(
        string="SPAR reference ID",
        compute="_compute_reference_id",
        search="_search_reference_id",
        help="The row's handle in SPAR requests and logs: its database id.",
    )
    verification = fields.Selection(
        [
            ("unverified", "Not verified"),
            ("verified", "Verified in SPAR"),
            ("mismatch", "SPAR holds something else"),
            ("replaced", "Replaced before the check"),
        ],
        default="unverified",
        required=True,
        readonly=True,
        help="Read back by resolve soon after SPAR accepted the row. A row "
        "whose registrant had a later row sent before the check is not "
        "compared: SPAR then rightly holds the newer FA.",
    )
    verified_at = fields.Datetime(readonly=True)
    spar_fa_masked = fields.Char(string="FA seen in SPAR (masked)", readonly=True)

    _sql_constraints = [
        (
            "partner_sequence_unique",
            "UNIQUE (partner_id, sequence)",
            "Two outbox rows of one registrant cannot share an order.",
        ),
        (
            "upsert_has_fa",
            "CHECK (operation = 'unlink' OR payment_fa_id IS NOT NULL"
            " OR state IN ('done', 'superseded', 'cancelled'))",
            "An outbox row that maps a registrant must name the FA it sends.",
        ),
    ]

    def init(self):
        # The claim walks waiting rows in id order and checks each has no
        # unfinished predecessor: both indexes stay as small as the backlog,
        # not the table, so the claim costs the same at 10k or 1M rows.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS g2p_spar_outbox_waiting_idx
            ON g2p_spar_outbox (id) WHERE state IN ('pending', 'retry_wait');
            CREATE INDEX IF NOT EXISTS g2p_spar_outbox_unfinished_idx
            ON g2p_spar_outbox (partner_id, sequence)
            WHERE state IN ('pending', 'sending', 'retry_wait', 'failed');
            CREATE INDEX IF NOT EXISTS g2p_spar_outbox_done_idx
            ON g2p_spar_outbox (partner_id, sequence DESC) WHERE state = 'done';
            CREATE INDEX IF NOT EXISTS g2p_spar_outbox_retry_at_idx
            ON g2p_spar_outbox (next_attempt_at) WHERE state = 'retry_wait';
            CREATE INDEX IF NOT EXISTS g2p_spar_outbox_unverified_idx
            ON g2p_spar_outbox (id) WHERE state = 'done'
               AND verification = 'unverified'
               AND sent_operation IN ('link', 'update');
            """
        )

    @api.depends("payment_fa_id")
    def _compute_phone_number(self):
        for row in self:
            fa = row.payment_fa_id.sudo()
            row.phone_number = spar_push.payment_phone(fa.kind, fa.payment_msisdn)

    def _compute_reference_id(self):
        for row in self:
            row.reference_id = str(row.id)

    def _search_reference_id(self, operator, value):
        if operator != "=" or not str(value).isdigit():
            raise UserError(_("Search the SPAR reference ID by its exact value."))
        return [("id", "=", int(value))]

    # ------------------------------------------------------------------
    # writing rows

    @api.model
    def _snapshot(self, partner):
        """What SPAR should hold for the registrant's current FA."""
        fa = partner.sudo().payment_fa_id
        return {
            "spar_id": partner.spar_id,
            "payment_fa_id": fa.id,
            "fa_masked": fa.fa_masked,
            "name": partner.name,
        }

    @api.model
    def _details_key(self):
        """The key of the name and phone digest SPAR holds (see
        :func:`spar_push.snapshot_details`): the database's own secret."""
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return f"g2p_spar_fa_sync:{secret}".encode()

    @api.model
    def _record_upserts(self, partners):
        """Rows that make SPAR map each registrant to its current FA."""
        vals_list = [
            dict(self._snapshot(partner), partner_id=partner.id)
            for partner in partners
            if partner.spar_id
        ]
        return self._record(vals_list, upsert=True)

    @api.model
    def _record_unlinks(self, partners, spar_ids=None):
        """Rows that remove each registrant's mapping from SPAR.

        ``spar_ids`` maps a partner id to the SPAR ID to unlink when it is not
        the current one (the registrant's ID changed).
        """
        spar_ids = spar_ids or {}
        vals_list = [
            {
                "partner_id": partner.id,
                "spar_id": spar_ids.get(partner.id, partner.spar_id),
            }
            for partner in partners
            if spar_ids.get(partner.id, partner.spar_id)
        ]
        return self._record(vals_list, upsert=False)

    @api.model
    def _record(self, vals_list, upsert):
        if not vals_list:
            return self.browse()
        sequences = self._next_sequences([v["partner_id"] for v in vals_list])
        linked = self._linked_spar_ids([v["partner_id"] for v in vals_list])
        channel = change.current_change(self.env).channel
        for vals, sequence in zip(vals_list, sequences, strict=True):
            operation = (
                _upsert_operation(linked, vals["partner_id"], vals["spar_id"])
                if upsert
                else "unlink"
            )
            # A registrant changed twice in one transaction: the second row
            # follows the first, which will have linked the ID.
            linked[vals["partner_id"]] = vals["spar_id"] if upsert else None
            vals.update(sequence=sequence, operation=operation, channel=channel)
        rows = self.sudo().create(vals_list)
        rows._supersede_older()
        self._schedule_dispatch()
        return rows

    @api.model
    def _next_sequences(self, partner_ids):
        """Reserve the next order numbers of these registrants.

        Incrementing a counter on the partner row makes concurrent changes of
        one registrant conflict: under Odoo's REPEATABLE READ the later
        transaction fails with a serialization error and is retried by Odoo,
        so rows are numbered in commit order and never share a number.
        """
        counts = {}
        for partner_id in partner_ids:
            counts[partner_id] = counts.get(partner_id, 0) + 1
        self.env.cr.execute(
            """
            UPDATE res_partner p
               SET g2p_spar_outbox_seq = COALESCE(p.g2p_spar_outbox_seq, 0) + v.n
              FROM unnest(%s::int[], %s::int[]) AS v(id, n)
             WHERE p.id = v.id
         RETURNING p.id, p.g2p_spar_outbox_seq
            """,
            (list(counts), list(counts.values())),
        )
        next_by_partner = {
            pid: last - counts[pid] + 1 for pid, last in self.env.cr.fetchall()
        }
        self.env["res.partner"].invalidate_model(["g2p_spar_outbox_seq"])
        sequences = []
        for partner_id in partner_ids:
            sequences.append(next_by_partner[partner_id])
            next_by_partner[partner_id] += 1
        return sequences

    @api.model
    def _linked_spar_ids(self, partner_ids, states=("done", "sending")):
        """The SPAR ID each registrant is mapped under, as far as we know.

        That is the last row SPAR accepted: a link or update maps its ID, an
        unlink leaves nothing. By default rows in flight count too, as their
        result is likely to be a mapping; a row being sent asks with
        ``states=("done",)`` so as not to count itself.
        """
        self.flush_model(["state", "partner_id", "spar_id", "operation", "sequence"])
        self.env.cr.execute(
            """
            SELECT DISTINCT ON (partner_id) partner_id, spar_id,
                   COALESCE(sent_operation, operation)
              FROM g2p_spar_outbox
             WHERE partner_id = ANY(%s) AND state = ANY(%s)
          ORDER BY partner_id, sequence DESC
            """,
            (list(set(partner_ids)), list(states)),
        )
        return {
            partner_id: (spar_id if operation != "unlink" else None)
            for partner_id, spar_id, operation in self.env.cr.fetchall()
        }

    def _supersede_older(self):
        """Older rows still waiting for the same SPAR ID are moot now.

        Rows being sent right now are locked by their job and skipped: they
        finish first and the new row follows them, keeping the order.

        Superseding only saves SPAR calls, it is never needed for
        correctness: an older row that is sent anyway is followed by the
        newer one. So when a job claimed one of these rows after this
        transaction began (REPEATABLE READ then refuses to lock it), the
        change is kept and nothing is superseded, instead of failing the
        user's save.
        """
        self.flush_model()
        try:
            with self.env.cr.savepoint(flush=False):
                self._supersede_older_sql()
        except psycopg2.errors.SerializationFailure:
            _logger.info("outbox rows in flight: older rows are sent as well")
        self.invalidate_model(["state", "superseded_by_id"])

    def _supersede_older_sql(self):
        self.env.cr.execute(
            """
            WITH moot AS (
                SELECT o.id, max(n.id) AS newer_id
                  FROM g2p_spar_outbox o
                  JOIN g2p_spar_outbox n
                    ON n.partner_id = o.partner_id
                   AND n.spar_id = o.spar_id
                   AND n.sequence > o.sequence
                 WHERE n.id = ANY(%s) AND o.state IN ('pending', 'retry_wait')
              GROUP BY o.id
            ), lockable AS (
                SELECT id FROM g2p_spar_outbox
                 WHERE id IN (SELECT id FROM moot)
                   FOR UPDATE SKIP LOCKED
            )
            UPDATE g2p_spar_outbox o
               SET state = 'superseded', superseded_by_id = moot.newer_id,
                   name = NULL,
                   write_date = clock_timestamp() AT TIME ZONE 'UTC'
              FROM moot
             WHERE o.id = moot.id AND o.id IN (SELECT id FROM lockable)
            """,
            (self.ids,),
        )

    @api.model
    def _schedule_dispatch(self):
        """Enqueue one dispatch job when the transaction commits.

        Once per transaction, however many rows it wrote: a CSV import of
        ten thousand FAs makes one job, which chains as many as it needs.
        """
        precommit = self.env.cr.precommit
        if not precommit.data.get(DISPATCH_NOW):
            precommit.data[DISPATCH_NOW] = True
            precommit.add(self._enqueue_dispatch)

    @api.model
    def _enqueue_dispatch(self, eta=None):
        outbox = self.sudo()
        if eta:
            outbox.with_delay(eta=eta, identity_key=DISPATCH_LATER)._dispatch()
        else:
            outbox.with_delay(identity_key=DISPATCH_NOW)._dispatch()

    # ------------------------------------------------------------------
    # dispatching

    @contextlib.contextmanager
    def _own_transaction(self):
        """A short transaction of its own, committed on exit.

        READ COMMITTED so that ``FOR UPDATE SKIP LOCKED`` and the
        compare-and-set of results see rows other workers just committed,
        instead of failing on them as REPEATABLE READ would. A plain
        TransactionCase cannot see other transactions: there the test's own
        transaction is used.
        """
        testing = getattr(threading.current_thread(), "testing", False)
        if testing and not self.env.registry.in_test_mode():
            with self.env.cr.savepoint():
                yield self.env(su=True)
            return
        with self.env.registry.cursor() as cr:
            if not self.env.registry.in_test_mode():
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield api.Environment(cr, SUPERUSER_ID, {})

    @api.model
    def _any_row(self, condition):
        """Whether a row meets ``condition`` (SQL on the alias ``o``)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT 1 FROM g2p_spar_outbox o WHERE %s LIMIT 1", condition)
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _claimable_exists(self):
        return self._any_row(CLAIMABLE)

    # The claim, the items and the results of a batch are read and written
    # in plain SQL, a statement each: through the ORM they cost Odoo more
    # time per row than SPAR's link does, on the cores SPAR shares.

    @api.model
    def _claim(self, limit):
        """Lock and mark ``sending`` up to ``limit`` registrant heads.

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
                       SET state = 'sending',
                           attempts = COALESCE(o.attempts, 0) + 1,
                           sending_since = clock_timestamp() AT TIME ZONE 'UTC',
                           write_date = clock_timestamp() AT TIME ZONE 'UTC'
                      FROM batch WHERE o.id = batch.id
                 RETURNING o.id
                )
                SELECT (SELECT array_agg(id ORDER BY id) FROM claimed),
                       (SELECT count(*) FROM heads)
                """,
                CLAIMABLE,
                limit,
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
                   f.payment_msisdn
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
                operation = _upsert_operation(linked, row["partner_id"], row["spar_id"])
                phone, info = spar_push.snapshot_details(
                    row["kind"], row["payment_msisdn"], row["name"], key
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
            """
            SELECT DISTINCT ON (o.partner_id) o.partner_id, o.spar_id,
                   COALESCE(o.sent_operation, o.operation),
                   f.kind = 'mobile' AND f.payment_msisdn IS NOT NULL
              FROM g2p_spar_outbox o
              LEFT JOIN g2p_payment_fa f ON f.id = o.payment_fa_id
             WHERE o.partner_id = ANY(%s) AND o.state = 'done'
          ORDER BY o.partner_id, o.sequence DESC
            """,
            (list(set(partner_ids)),),
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
        """Job: push a batch of registrant heads to SPAR, then chain.

        Claim and result are two short transactions; SPAR is called between
        them, holding no lock. A worker killed in between leaves its rows in
        ``sending``; the recovery cron returns them to ``pending`` and the
        link/update fallback makes the resend harmless.
        """
        connector = self.env["g2p.spar.connector"]
        settings = connector._settings()
        # Before claiming: a missing URL or key fails the job (queue_job
        # retries it) and leaves the rows waiting, untouched.
        client = connector._client(settings)
        with self._own_transaction() as env:
            rows, more = env[self._name]._claim(settings.batch_size)
            items = rows._push_items()
            claimed = rows._attempts()
        if more:
            with self._own_transaction() as env:
                env[self._name]._enqueue_dispatch()
        if not items:
            return _("Nothing to send.")
        try:
            results = spar_push.push_batch(client, items)
        except Exception as error:  # noqa: BLE001 - rows must not stay 'sending'
            _logger.exception("SPAR push of %d rows failed unexpectedly", len(items))
            failure = spar_push.PushResult(
                "failed", error=f"{type(error).__name__}: {str(error)[:300]}"
            )
            results = {item.reference_id: failure for item in items}
        with self._own_transaction() as env:
            outbox = env[self._name]
            done_ids = outbox._record_results(claimed, results, settings)
            if any(r.outcome == "retry" for r in results.values()):
                outbox._schedule_retry_wakeup()
            # Read back once the backlog is sent: the last job of a drain
            # (or of a single edit) queues it, for everything done so far.
            # Asked of the table, not of this job's claim: a job that
            # claimed a full batch can still be the last to finish.
            if (
                settings.verify_after_push
                and any(
                    r.outcome == "done" and r.sent_operation != "unlink"
                    for r in results.values()
                )
                and not outbox._claimable_exists()
            ):
                outbox._enqueue_read_back()
            if not settings.verify_after_push:
                # Finished at done: no read-back will need the name.
                outbox.browse(done_ids)._forget_clear_text()
        if done_ids:
            # Once the results are committed: a row committed later finds
            # them done when the job its commit queued claims.
            with self._own_transaction() as env:
                if env[self._name]._next_rows_claimable(done_ids):
                    env[self._name]._enqueue_dispatch()
        counts = {}
        for result in results.values():
            counts[result.outcome] = counts.get(result.outcome, 0) + 1
        return ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))

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
            "SELECT id, attempts FROM g2p_spar_outbox "
            "WHERE id = ANY(%s) AND state = 'sending' FOR UPDATE",
            (list(claimed),),
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
                ("state", {"retry": "retry_wait"}.get(result.outcome, result.outcome)),
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
            if state == "done"
        ]

    @api.model
    def _next_rows_claimable(self, row_ids):
        """Whether a registrant of these rows (just done) can send its next
        row now.

        Nothing else queues a job for it: the job its commit queued found it
        behind the row in flight (or it was written with it, as the link of
        a new SPAR ID is with the unlink of the old one), and the recovery
        cron would take up to a minute. One statement on the partial indexes
        of unfinished rows, whatever the backlog.
        """
        if not row_ids:
            return False
        self.env.cr.execute(
            SQL(
                """
                SELECT 1 FROM g2p_spar_outbox o
                 WHERE o.partner_id IN (
                        SELECT partner_id FROM g2p_spar_outbox WHERE id = ANY(%s))
                   AND %s
                 LIMIT 1
                """,
                row_ids,
                CLAIMABLE,
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _schedule_retry_wakeup(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT min(next_attempt_at) FROM g2p_spar_outbox "
            "WHERE state = 'retry_wait'"
        )
        eta = self.env.cr.fetchone()[0]
        if eta:
            self._enqueue_dispatch(eta=eta)

    # ------------------------------------------------------------------
    # read-back

    @api.model
    def _enqueue_read_back(self):
        self.sudo().with_delay(
            priority=READ_BACK_PRIORITY, identity_key=READ_BACK
        )._read_back()

    @api.model
    def _unverified_exists(self):
        return self._any_row(UNVERIFIED)

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
        settings = connector._settings()
        client = connector._client(settings)
        with self._own_transaction() as env:
            env.cr.execute(
                SQL(
                    """
                    SELECT o.id, o.spar_id, o.name, f.fa_string, f.kind,
                           f.payment_msisdn
                      FROM g2p_spar_outbox o
                      LEFT JOIN g2p_payment_fa f
                        ON f.id = o.payment_fa_id AND f.partner_id = o.partner_id
                     WHERE %s ORDER BY o.id LIMIT %s
                    """,
                    UNVERIFIED,
                    READ_BACK_BATCH + 1,
                )
            )
            found = env.cr.fetchall()
            key = env[self._name]._details_key()
        # What the FA record says, not what the row says it sent.
        expected = {
            str(row_id): (
                spar_id,
                fa,
                spar_push.snapshot_details(kind, msisdn, name, key)[1],
            )
            for row_id, spar_id, name, fa, kind, msisdn in found[:READ_BACK_BATCH]
        }
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
            if len(found) > READ_BACK_BATCH:
                outbox._enqueue_read_back()
        return ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))

    @api.model
    def _record_read_back(self, read):
        """Store the verdicts ({reference_id: ReadBack}); returns how many
        rows got each.

        A later row of the registrant claimed since may have reached SPAR
        before the resolve: the row is then ``replaced``, not compared. Its
        claim committed before it was sent, so it is seen here.
        """
        self.env.cr.execute(
            """
            UPDATE g2p_spar_outbox o
               SET verification = 'replaced', name = NULL,
                   write_date = clock_timestamp() AT TIME ZONE 'UTC'
             WHERE o.id = ANY(%s) AND o.verification = 'unverified'
               AND EXISTS (
                   SELECT 1 FROM g2p_spar_outbox n
                    WHERE n.partner_id = o.partner_id
                      AND n.sequence > o.sequence AND n.attempts > 0)
         RETURNING o.id
            """,
            ([int(reference_id) for reference_id in read],),
        )
        replaced = {row_id for (row_id,) in self.env.cr.fetchall()}
        counts = {"replaced": len(replaced)} if replaced else {}
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
                """
                UPDATE g2p_spar_outbox o
                   SET verification = r.verification,
                       spar_fa_masked = r.spar_fa_masked, name = NULL,
                       verified_at = now() AT TIME ZONE 'UTC',
                       write_date = clock_timestamp() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::varchar[], %s::varchar[])
                    AS r(id, verification, spar_fa_masked)
                 WHERE o.id = r.id AND o.verification = 'unverified'
                """,
                list(columns.values()),
            )
        self.invalidate_model(["verification", "spar_fa_masked", "verified_at", "name"])
        return counts

    # ------------------------------------------------------------------
    # recovery

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
            [("state", "=", "sending"), ("sending_since", "<", stuck_before)]
        )
        if stuck:
            _logger.warning("returning %d stuck outbox rows to pending", len(stuck))
            stuck.write({"state": "pending", "sending_since": False})
        if self._claimable_exists():
            self._enqueue_dispatch()
        if settings.verify_after_push and self._unverified_exists():
            self._enqueue_read_back()

    def _forget_clear_text(self):
        """Drop the name kept for sending: a finished row needs it no more.
        A row another attempt took back meanwhile keeps it."""
        self.flush_recordset()
        self.env.cr.execute(
            "UPDATE g2p_spar_outbox SET name = NULL WHERE id = ANY(%s)"
            " AND state IN ('done', 'superseded', 'cancelled')",
            (self.ids,),
        )
        self.invalidate_recordset(["name"])

    def write(self, vals):
        """Only delivery moves a row on; the change it records stays as made.

        No group may write rows (see the access rights): this guards the
        code that does, as superuser, from rewriting what a row sends.
        """
        self.check_access_rights("write")
        frozen = sorted(set(vals) - DELIVERY_FIELDS)
        if frozen:
            raise UserError(
                _(
                    "SPAR outbox rows record a change as it was made; "
                    "%(fields)s cannot be changed. Record a new payment "
                    "financial address instead.",
                    fields=", ".join(self._fields[f].string for f in frozen),
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # actions of department users

    def _check_manager(self):
        """Rows are written by the suite alone; retry and cancel are the two
        moves an FA manager may make, on rows they can see."""
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(
                _("Only FA managers can retry or cancel SPAR outbox rows.")
            )
        self.check_access_rights("read")
        self.check_access_rule("read")

    def action_retry(self):
        """Send failed or waiting rows again now (after a fix, usually)."""
        self._check_manager()
        rows = self.filtered(lambda r: r.state in ("failed", "retry_wait"))
        if rows != self:
            raise UserError(_("Only failed or waiting rows can be retried."))
        rows.sudo().write({"state": "pending", "next_attempt_at": False})
        self._enqueue_dispatch()
        return True

    def action_cancel(self):
        """Give up on rows: the registrant's later rows are sent instead."""
        self._check_manager()
        rows = self.filtered(lambda r: r.state in ("pending", "retry_wait", "failed"))
        if rows != self:
            raise UserError(_("Only pending, waiting or failed rows can be cancelled."))
        rows.sudo().write({"state": "cancelled", "next_attempt_at": False})
        rows._forget_clear_text()
        self._enqueue_dispatch()
        return True
