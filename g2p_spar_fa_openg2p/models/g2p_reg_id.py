# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class G2PRegistrantID(models.Model):
    """A registrant's ID of the chosen type is its SPAR ID's {id}: every
    change of the entry is followed (res.partner._follow_spar_id_type)."""

    _inherit = "g2p.reg.id"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.partner_id._follow_spar_id_type()
        return records

    def write(self, vals):
        partners = self.partner_id
        res = super().write(vals)
        (partners | self.partner_id)._follow_spar_id_type()
        return res

    def unlink(self):
        partners = self.partner_id
        res = super().unlink()
        partners.exists()._follow_spar_id_type()
        return res
