# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models
from odoo.exceptions import ValidationError


class G2pPaymentFa(models.Model):
    _inherit = "g2p.payment.fa"

    @api.model
    def _prepare_fa_vals(self, vals, settings):
        """OpenG2P pays a group through its head: refuse a group's own FA
        (whatever the channel) unless the setting lets groups have one."""
        partner = self.env["res.partner"].browse(vals.get("partner_id")).sudo()
        if partner.is_group and not partner._groups_get_fa():
            raise ValidationError(
                _(
                    "Registrant: %(name)s is a group; OpenG2P pays a group "
                    "through its head, so the payment address belongs on the "
                    "head's record.",
                    name=partner.display_name,
                )
            )
        return super()._prepare_fa_vals(vals, settings)
