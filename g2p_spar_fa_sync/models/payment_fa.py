# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import outbox_states as st


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

    @api.ondelete(at_uninstall=False)
    def _unlink_except_on_its_way_to_spar(self):
        """An outbox row still to be sent or read back takes its FA from
        here; a finished row keeps the masked FA when its FA is deleted."""
        if self.env["g2p.spar.outbox"]._any_row(
            SQL(
                "o.payment_fa_id = ANY(%s) AND (%s OR (%s))",
                self.ids,
                SQL(st.UNFINISHED_SQL),
                SQL(st.AWAITING_READ_BACK_SQL),
            )
        ):
            raise UserError(
                _(
                    "This payment financial address is still on its way to "
                    "SPAR or waiting to be checked there; delete it once its "
                    "outbox row is finished."
                )
            )
