# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import AccessError, UserError

from ..lib.fa_vocabulary import FA_VALUE_FIELDS
from ..models.payment_fa import MANAGER


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """Merging registrants keeps their payment FAs whole.

    Odoo's merge moves every foreign key to the survivor in raw SQL and,
    when that breaks a unique constraint (one active FA per registrant),
    deletes the merged-away rows instead: the FA history would be lost and
    the merged-away FA would never be removed from SPAR. So the FAs are
    settled first, through the FA model: the merged-away registrant's
    current FA is archived (the usual removal, which a synchronisation
    module hooks into), the survivor adopts it when it has none (a new FA,
    validated like any other), and the archived history moves to the
    survivor. Odoo's generic pass then finds nothing of ours left to move.
    """

    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        self._merge_payment_fas(src_partners, dst_partner)
        self.env.flush_all()
        return super()._update_foreign_keys(src_partners, dst_partner)

    @api.model
    def _merge_payment_fas(self, src_partners, dst_partner):
        """Settle the FAs of ``src_partners`` on ``dst_partner``; an override
        point for what follows the FAs (the SPAR outbox)."""
        history = (
            self.env["g2p.payment.fa"]
            .sudo()
            .with_context(active_test=False)
            .search([("partner_id", "in", src_partners.ids)], order="id")
        )
        if not history:
            return
        self._check_payment_fa_merge(src_partners, dst_partner)
        current = history.filtered("active")
        # The latest current FA; an archived survivor stays without one.
        adopted = (
            dst_partner.active and not dst_partner.sudo().payment_fa_id and current[-1:]
        )
        adopted_vals = adopted and self._payment_fa_copy_vals(adopted, dst_partner)
        fa_model = self.env["g2p.payment.fa"]
        # As the user: the removal and the new FA are theirs in the audit.
        fa_model.browse(current.ids).action_remove()
        if adopted_vals:
            fa_model.create(adopted_vals)
        history.flush_recordset()
        # Archived history is immutable through the ORM on purpose; moving it
        # to the registrant it now belongs to is the one legitimate change.
        self.env.cr.execute(
            """
            UPDATE g2p_payment_fa
               SET partner_id = %s, write_uid = %s,
                   write_date = now() AT TIME ZONE 'UTC'
             WHERE id = ANY(%s)
            """,
            (dst_partner.id, self.env.uid, history.ids),
        )
        history.invalidate_recordset(["partner_id"])
        (src_partners | dst_partner).invalidate_recordset(
            ["payment_fa_ids", "payment_fa_id"]
        )

    @api.model
    def _check_payment_fa_merge(self, src_partners, dst_partner):
        """Refuse a merge that would lose or misplace payment FAs."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(
                _(
                    "Only FA managers can merge registrants that hold payment "
                    "financial addresses."
                )
            )
        if not dst_partner.is_registrant:
            raise UserError(
                _(
                    "Destination contact: %(partner)s is not a registrant and "
                    "cannot receive the payment financial addresses of "
                    "%(sources)s. Choose a registrant as the destination.",
                    partner=dst_partner.display_name,
                    sources=", ".join(src_partners.mapped("display_name")),
                )
            )

    @api.model
    def _payment_fa_copy_vals(self, fa, partner):
        vals = {fname: fa[fname] for fname in FA_VALUE_FIELDS}
        vals.update(partner_id=partner.id, bank_id=fa.bank_id.id)
        return vals
