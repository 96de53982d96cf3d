# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    g2p_spar_outbox_seq = fields.Integer(
        string="Last SPAR outbox order",
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Counter behind the per-registrant order of outbox rows.",
    )
    g2p_spar_outbox_ids = fields.One2many(
        "g2p.spar.outbox",
        "partner_id",
        string="SPAR Outbox",
        groups="g2p_spar_fa_base.group_fa_viewer",
    )

    def write(self, vals):
        """What SPAR holds follows the registrant, not only its FA.

        Archiving a registrant removes its mapping, restoring it links it
        again, a new name is sent to SPAR, and a new SPAR ID (the registrant
        ID or the ID format changed) moves the mapping to the new ID.
        """
        watched = {"active", "name", "is_registrant", "registrant_ref"} & set(vals)
        if not watched:
            return super().write(vals)
        before = {
            partner.id: (partner.active, partner.spar_id, partner.name)
            for partner in self.sudo()
        }
        res = super().write(vals)
        self.sudo()._sync_spar_after_write(before)
        return res

    @api.model
    def _recompute_spar_ids(self):
        """A new ID format moves every mapping to its new SPAR ID."""
        registrants = (
            self.sudo()
            .with_context(active_test=False)
            .search([("is_registrant", "=", True)])
        )
        before = {p.id: (p.active, p.spar_id, p.name) for p in registrants}
        res = super()._recompute_spar_ids()
        registrants._sync_spar_after_write(before)
        return res

    def _sync_spar_after_write(self, before):
        outbox = self.env["g2p.spar.outbox"]
        changed = self.filtered(lambda p: before[p.id] != (p.active, p.spar_id, p.name))
        with_fa = changed.with_context(active_test=False).filtered("payment_fa_id")
        unlink, old_ids, upsert = self.browse(), {}, self.browse()
        for partner in with_fa:
            was_active, old_spar_id, old_name = before[partner.id]
            if was_active and not partner.active:
                unlink |= partner
            elif not partner.active:
                continue
            elif old_spar_id != partner.spar_id:
                if old_spar_id:
                    unlink |= partner
                    old_ids[partner.id] = old_spar_id
                upsert |= partner
            elif not was_active or old_name != partner.name:
                upsert |= partner
        outbox._record_unlinks(unlink, old_ids)
        outbox._record_upserts(upsert)
