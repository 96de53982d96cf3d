# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

# Mapping targets for OpenG2P's individuals, besides the importer's own.
OPENG2P_TARGETS = ("reg_id", "gender", "birthdate")


class G2pOdkImportConfig(models.Model):
    _inherit = "g2p.odk.import.config"

    reg_id_type_id = fields.Many2one(
        "g2p.id.type",
        string="Registrant ID Type",
        help="The OpenG2P ID type the form's ID (mapping target reg_id) is "
        "stored under in the registrant's IDs. Use the ID type the SPAR ID "
        "is made from, so that SPAR maps the ID payments are sent under.",
    )

    def _extra_targets(self):
        return (*super()._extra_targets(), *OPENG2P_TARGETS)
