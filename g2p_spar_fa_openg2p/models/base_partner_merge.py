# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    """OpenG2P's portals install ``website``, whose merge step reads the
    survivor's website visitors as the merging user: a registry officer
    (who has no website rights) could no longer merge duplicate registrants.
    Moving the foreign keys is bookkeeping after the access checks of the
    merge (Odoo's, and the FA manager check of g2p_spar_fa_base), so it runs
    as superuser."""

    _inherit = "base.partner.merge.automatic.wizard"

    @api.model
    def _update_foreign_keys(self, src_partners, dst_partner):
        if self.env.su:
            return super()._update_foreign_keys(src_partners, dst_partner)
        return self.sudo()._update_foreign_keys(src_partners.sudo(), dst_partner.sudo())
