# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from functools import partial

from odoo import api, fields, models

from ..lib import fa_format


class ResBank(models.Model):
    """A bank's national code, which payment systems route by: the OpenG2P
    FA strings carry it (``bank_code:``), a BIC alone does not."""

    _inherit = "res.bank"

    bank_code = fields.Char(
        help="National bank code payment systems route by (a German BLZ, a "
        "Kenyan bank code...). Fills the bank code of financial addresses at "
        "this bank that give none and no IBAN.",
    )
    g2p_branch_ids = fields.One2many(
        "g2p.bank.branch", "bank_id", string="Branches", context={"active_test": False}
    )

    @api.constrains("bank_code")
    def _check_bank_code(self):
        check = partial(fa_format.normalize_code, "bank_code")
        for bank in self.filtered("bank_code"):
            self.env["g2p.payment.fa"]._check_kept_value(bank, "bank_code", check)
