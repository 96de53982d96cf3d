# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class G2pPaymentFa(models.Model):
    """Every FA change, from any channel, writes its outbox row right here,
    in the transaction of the change."""

    _inherit = "g2p.payment.fa"

    @api.model
    def _on_fa_replaced(self, old, new):
        res = super()._on_fa_replaced(old, new)
        self.env["g2p.spar.outbox"]._record_upserts(new.partner_id)
        return res

    def _on_fa_removed(self):
        res = super()._on_fa_removed()
        self.env["g2p.spar.outbox"]._record_unlinks(self.partner_id)
        return res
