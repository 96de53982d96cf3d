# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The stored outbox row and the rules every move of it obeys.

The model's behaviour is split by concern, a file each, so that a reader
finds where a change belongs (as OCA/queue keeps ``queue.job`` apart from
``Job``): ``spar_outbox_record`` writes the rows of a change,
``spar_outbox_dispatch`` sends them, ``spar_outbox_read_back`` checks them in
SPAR and recovers what dead workers left. Which moves exist is
``lib/outbox_states.py``.
"""

import contextlib

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from odoo.addons.g2p_spar_fa_base import change

from ..lib import outbox_states as st
from ..lib import spar_push

MANAGER = "g2p_spar_fa_base.group_fa_manager"
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
    lane = fields.Selection(
        list(st.LANES),
        compute="_compute_lane",
        search="_search_lane",
        help="Interactive rows (backend, portal, API: a person waits) go "
        "ahead of bulk rows (imports, backfills, code): every dispatch job "
        "sends them first, and a job of their own when none runs.",
    )
    user_id = fields.Many2one(
        "res.users", string="Changed by", readonly=True, default=lambda s: s.env.uid
    )
    state = fields.Selection(
        list(st.STATES),
        required=True,
        default=st.PENDING,
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
        list(st.VERIFICATIONS),
        default=st.UNVERIFIED,
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
            f" OR {st.sql_in('state', st.FINAL)})",
            "An outbox row that maps a registrant must name the FA it sends.",
        ),
    ]

    def init(self):
        # The claim walks waiting rows in id order and checks each has no
        # unfinished predecessor: the indexes stay as small as the backlog,
        # not the table, so the claim costs the same at 10k or 1M rows.
        for name, (expressions, where) in st.INDEXES.items():
            create_index(self.env.cr, name, self._table, expressions, where=where)

    @api.depends("payment_fa_id")
    def _compute_phone_number(self):
        for row in self:
            fa = row.payment_fa_id.sudo()
            row.phone_number = spar_push.payment_phone(fa.kind, fa.payment_msisdn)

    @api.depends("channel")
    def _compute_lane(self):
        for row in self:
            row.lane = st.lane_of(row.channel)

    def _search_lane(self, operator, value):
        if operator not in ("=", "!="):
            raise UserError(_("Search the lane by its exact value."))
        interactive = (value == st.INTERACTIVE) == (operator == "=")
        return [("channel", "in" if interactive else "not in", st.INTERACTIVE_CHANNELS)]

    def _compute_reference_id(self):
        for row in self:
            row.reference_id = str(row.id)

    def _search_reference_id(self, operator, value):
        if operator != "=" or not str(value).isdigit():
            raise UserError(_("Search the SPAR reference ID by its exact value."))
        return [("id", "=", int(value))]

    @api.model
    def _details_key(self):
        """The key of the name and phone digest SPAR holds (see
        :func:`spar_push.snapshot_details`): the database's own secret."""
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return f"g2p_spar_fa_sync:{secret}".encode()

    @contextlib.contextmanager
    def _own_transaction(self):
        """A short transaction of its own, committed on exit.

        READ COMMITTED so that ``FOR UPDATE SKIP LOCKED`` and the
        compare-and-set of results see rows other workers just committed,
        instead of failing on them as REPEATABLE READ would. (Tests, whose
        data no other transaction can see, put a savepoint of their own
        transaction in its place: see ``tests/common.py``.)
        """
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            yield api.Environment(cr, SUPERUSER_ID, {})

    @api.model
    def _any_row(self, condition, order=None):
        """Whether a row meets ``condition`` (SQL on the alias ``o``), the
        first in ``order`` if given (SQL)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM g2p_spar_outbox o WHERE %s %s LIMIT 1",
                condition,
                order or SQL(),
            )
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _claimable_exists(self):
        """Asked after every batch. In id order, as the claim walks: left to
        itself PostgreSQL read the table from its start, through every row
        already done (60 ms a batch while 100,000 rows drained; the index
        walk costs what the claim does)."""
        return self._any_row(SQL(st.CLAIMABLE_SQL), SQL("ORDER BY o.id"))

    @api.model
    def _unverified_exists(self):
        return self._any_row(SQL(st.AWAITING_READ_BACK_SQL))

    def _forget_clear_text(self):
        """Drop the name kept for sending: a finished row needs it no more.
        A row another attempt took back meanwhile keeps it."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE g2p_spar_outbox SET name = NULL WHERE id = ANY(%s) AND %s",
                self.ids,
                SQL(st.sql_in("state", st.FINAL)),
            )
        )
        self.invalidate_recordset(["name"])

    def write(self, vals):
        """Only delivery moves a row on, by a move of the state machine; the
        change it records stays as made.

        No group may write rows (see the access rights): this guards the
        code that does, as superuser, from rewriting what a row sends or
        making a move ``lib/outbox_states.py`` does not know.
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
        for field in ("state", "verification"):
            if field not in vals:
                continue
            for row in self:
                if not st.allowed(field, row[field], vals[field]):
                    raise UserError(
                        _(
                            "SPAR outbox row %(row)s cannot go from %(before)s "
                            "to %(after)s.",
                            row=row.id,
                            before=row[field],
                            after=vals[field],
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
        rows = self.filtered(lambda r: r.state in st.sources("retry"))
        if rows != self:
            raise UserError(_("Only failed or waiting rows can be retried."))
        rows.sudo().write({"state": st.PENDING, "next_attempt_at": False})
        self._enqueue_dispatch()
        return True

    def action_cancel(self):
        """Give up on rows: the registrant's later rows are sent instead."""
        self._check_manager()
        rows = self.filtered(lambda r: r.state in st.sources("cancel"))
        if rows != self:
            raise UserError(_("Only pending, waiting or failed rows can be cancelled."))
        rows.sudo().write({"state": st.CANCELLED, "next_attempt_at": False})
        rows._forget_clear_text()
        self._enqueue_dispatch()
        return True
