# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Recording changes: the rows a registrant's FA change writes, in its own
transaction, numbered in commit order, superseding what they make moot."""

import logging

import psycopg2.errors
from psycopg2.extensions import AsIs

from odoo import api, models
from odoo.tools import SQL, clean_context

from odoo.addons.g2p_spar_fa_base import change

from ..lib import outbox_states as st

_logger = logging.getLogger(__name__)


def upsert_operation(linked, partner_id, spar_id):
    """Update when the registrant is mapped under this SPAR ID, else link."""
    return "update" if linked.get(partner_id) == spar_id else "link"


# One model split by concern on purpose: see spar_outbox.py.
# pylint: disable=consider-merging-classes-inherited
class G2pSparOutbox(models.Model):
    _inherit = "g2p.spar.outbox"

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
                upsert_operation(linked, vals["partner_id"], vals["spar_id"])
                if upsert
                else "unlink"
            )
            # A registrant changed twice in one transaction: the second row
            # follows the first, which will have linked the ID.
            linked[vals["partner_id"]] = vals["spar_id"] if upsert else None
            vals.update(sequence=sequence, operation=operation, channel=channel)
        rows = self._insert_rows(vals_list)
        rows._supersede_older()
        self._schedule_dispatch(st.lane_of(channel))
        return rows

    @api.model
    def _insert_rows(self, vals_list):
        """Write the rows with one INSERT, as create() would write them.

        A backfill or an import records thousands of rows in a transaction;
        create() fills its cache field by field for each row, which cost more
        than the FAs themselves. Rows are written nowhere else and carry no
        Python constraint, so what create() did beyond the INSERT is done
        here: the fields' defaults (a row starts in the state machine's
        initial state, its author is the user), the log columns, the
        one2many caches of the records rows name, and the fields computed
        from rows. A caller's ``default_*`` context keys are ignored: a row
        records the change, not what the caller would like it to say.
        """
        outbox = self.sudo().with_context(clean_context(self.env.context))
        defaults = {
            fname: value
            for fname, value in outbox._add_missing_default_values({}).items()
            if outbox._fields[fname].column_type
        }
        now, uid = self.env.cr.now(), self.env.uid
        log_values = dict.fromkeys(("create_date", "write_date"), now)
        log_values.update(dict.fromkeys(("create_uid", "write_uid"), uid))
        rows = [{**defaults, **vals, **log_values} for vals in vals_list]
        fields = [outbox._fields[fname] for fname in sorted(set().union(*rows))]
        not_stored = [field.name for field in fields if not field.column_type]
        if not_stored:
            raise ValueError(f"outbox rows have no column for {not_stored}")
        self.env.cr.execute(
            SQL(
                "INSERT INTO g2p_spar_outbox (%s) VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(field.name) for field in fields),
                SQL(", ").join(
                    tuple(
                        field.convert_to_column(row[field.name], outbox, row)
                        if field.name in row
                        else AsIs("DEFAULT")
                        for field in fields
                    )
                    for row in rows
                ),
            )
        )
        records = self.sudo().browse(id_ for (id_,) in self.env.cr.fetchall())
        for field in fields:
            for inverse in self.pool.field_inverses[field]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        records.modified([field.name for field in fields], create=True)
        return records

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
    def _linked_spar_ids(self, partner_ids):
        """The SPAR ID each registrant is mapped under, as far as we know.

        That is the last row SPAR accepted or is being sent: a link or update
        maps its ID, an unlink leaves nothing. Rows in flight count, as their
        result is likely to be a mapping.
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
            (list(set(partner_ids)), [st.DONE, st.SENDING]),
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
            SQL(
                """
                WITH moot AS (
                    SELECT o.id, max(n.id) AS newer_id
                      FROM g2p_spar_outbox o
                      JOIN g2p_spar_outbox n
                        ON n.partner_id = o.partner_id
                       AND n.spar_id = o.spar_id
                       AND n.sequence > o.sequence
                     WHERE n.id = ANY(%s) AND %s
                  GROUP BY o.id
                ), lockable AS (
                    SELECT id FROM g2p_spar_outbox
                     WHERE id IN (SELECT id FROM moot)
                       FOR UPDATE SKIP LOCKED
                )
                UPDATE g2p_spar_outbox o
                   SET state = %s, superseded_by_id = moot.newer_id,
                       name = NULL,
                       write_date = clock_timestamp() AT TIME ZONE 'UTC'
                  FROM moot
                 WHERE o.id = moot.id AND o.id IN (SELECT id FROM lockable)
                """,
                self.ids,
                SQL(st.sql_in("o.state", st.sources("supersede"))),
                st.SUPERSEDED,
            )
        )
