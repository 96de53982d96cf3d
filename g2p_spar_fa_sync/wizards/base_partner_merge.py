# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import outbox_states as st


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Merging registrants keeps their outbox rows and unmaps the merged-away
    SPAR ID.

    Archiving the merged-away registrant's current FA (see the base module)
    writes its unlink row under its own SPAR ID; then all its rows, that one
    included, move to the survivor behind the survivor's own rows, in their
    order. Odoo would otherwise move them in raw SQL, collide on the
    per-registrant order and delete them, and SPAR would keep mapping the
    merged-away ID for ever.
    """

    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _merge_payment_fas(self, src_partners, dst_partner):
        self._lock_outbox_rows(src_partners)
        res = super()._merge_payment_fas(src_partners, dst_partner)
        self._move_outbox_rows(src_partners, dst_partner)
        return res

    @api.model
    def _lock_outbox_rows(self, partners):
        """Refuse while a job sends a row of ``partners``, and keep jobs off
        their rows until the merge commits.

        A row being sent is owned by its job until SPAR answers; moving it
        under the job would break its registrant's order. Locked rows are
        skipped by the claim (``SKIP LOCKED``), and a claim that committed
        after this transaction began makes the lock fail with a
        serialization error, which Odoo retries: the retry sees the row
        ``sending`` and refuses.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, state = %s FROM g2p_spar_outbox
                 WHERE partner_id = ANY(%s)
                   FOR UPDATE
                """,
                st.SENDING,
                partners.ids,
            )
        )
        sending = {pid for pid, is_sending in self.env.cr.fetchall() if is_sending}
        if sending:
            raise UserError(
                _(
                    "%(partners)s: payment FA changes are being sent to SPAR "
                    "right now. Merge again in a minute, once they are sent.",
                    partners=", ".join(
                        self.env["res.partner"].browse(sending).mapped("display_name")
                    ),
                )
            )

    @api.model
    def _move_outbox_rows(self, src_partners, dst_partner):
        """Renumber the rows of ``src_partners`` after the survivor's, each
        registrant's rows in their order, and give them to the survivor."""
        outbox = self.env["g2p.spar.outbox"]
        outbox.flush_model()
        self.env.cr.execute(
            """
            SELECT id FROM g2p_spar_outbox
             WHERE partner_id = ANY(%s)
          ORDER BY array_position(%s, partner_id), sequence
            """,
            (src_partners.ids, src_partners.ids),
        )
        row_ids = [row_id for (row_id,) in self.env.cr.fetchall()]
        if not row_ids:
            return
        sequences = outbox._next_sequences([dst_partner.id] * len(row_ids))
        self.env.cr.execute(
            """
            UPDATE g2p_spar_outbox o
               SET partner_id = %s, sequence = v.sequence, write_uid = %s,
                   write_date = clock_timestamp() AT TIME ZONE 'UTC'
              FROM unnest(%s::int[], %s::int[]) AS v(id, sequence)
             WHERE o.id = v.id
            """,
            (dst_partner.id, self.env.uid, row_ids, sequences),
        )
        outbox.invalidate_model(["partner_id", "sequence"])
        (src_partners | dst_partner).invalidate_recordset(["g2p_spar_outbox_ids"])
