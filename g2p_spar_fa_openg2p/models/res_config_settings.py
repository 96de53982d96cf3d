# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..lib import openg2p_rules
from .res_partner_bank import FOLLOW_PARAM

PARAM_PREFIX = "g2p_spar_fa_openg2p."
SPAR_ID_TYPE_PARAM = PARAM_PREFIX + "spar_id_type_id"
GROUPS_GET_FA_PARAM = PARAM_PREFIX + "groups_get_fa"
ENCRYPTED_NAME_PARAM = PARAM_PREFIX + "encrypted_name"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    g2p_spar_id_type_id = fields.Many2one(
        "g2p.id.type",
        string="SPAR ID from Registrant ID Type",
        config_parameter=SPAR_ID_TYPE_PARAM,
        help="The registrant's ID of this type is the {id} of the SPAR ID "
        "format. Choose the type OpenG2P's G2P Connect payment manager uses "
        "as payee ID, with the same prefix and suffix around {id}, so that "
        "G2P Bridge finds the beneficiary in SPAR.",
    )
    g2p_spar_groups_get_fa = fields.Boolean(
        string="Groups Get Payment Addresses",
        config_parameter=GROUPS_GET_FA_PARAM,
        help="OpenG2P pays a group through its head: by default a group has "
        "no payment address and no SPAR ID of its own.",
    )
    g2p_spar_encrypted_name = fields.Selection(
        [
            (openg2p_rules.NAME_DECRYPTED, "Send the real (decrypted) name"),
            (openg2p_rules.NAME_NONE, "Send no name"),
        ],
        string="Encrypted Names in SPAR",
        default=openg2p_rules.NAME_NONE,
        config_parameter=ENCRYPTED_NAME_PARAM,
        help="When OpenG2P's registry encryption stores a registrant's name as "
        "a placeholder, SPAR never receives the placeholder: it gets the real "
        "name, or none.",
    )
    g2p_spar_follow_bank_accounts = fields.Boolean(
        string="Follow bank account changes",
        config_parameter=FOLLOW_PARAM,
        help="A registrant's payment FA follows later changes of their first "
        "bank account (create, change, removal), unless the FA was given "
        "through another channel.",
    )

    def set_values(self):
        """A new ID type moves every mapping to the registrant's ID of that
        type (or removes it when the registrant has none); letting groups
        have FAs or not links or unlinks theirs."""
        params = self.env["ir.config_parameter"].sudo()
        watched = (SPAR_ID_TYPE_PARAM, GROUPS_GET_FA_PARAM)
        before = {name: params.get_param(name) for name in watched}
        res = super().set_values()
        partners = self.env["res.partner"]
        if params.get_param(SPAR_ID_TYPE_PARAM) != before[SPAR_ID_TYPE_PARAM]:
            partners._follow_spar_id_type_everywhere()
        if params.get_param(GROUPS_GET_FA_PARAM) != before[GROUPS_GET_FA_PARAM]:
            partners._recompute_spar_ids()
        return res
