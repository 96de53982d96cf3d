# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .res_partner_bank import FOLLOW_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    g2p_spar_follow_bank_accounts = fields.Boolean(
        string="Follow bank account changes",
        config_parameter=FOLLOW_PARAM,
        help="A registrant's payment FA follows later changes of their first "
        "bank account (create, change, removal), unless the FA was given "
        "through another channel.",
    )
