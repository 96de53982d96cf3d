# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from functools import partial

from odoo import api, fields, models

from ..lib import fa_format


class G2pBankBranch(models.Model):
    """A branch of a bank with the code payment systems route by.

    A small model rather than a free code on each FA: the people recording
    FAs pick a branch by name, and a code is typed once, by an administrator,
    instead of on every FA.
    """

    _name = "g2p.bank.branch"
    _description = "Bank Branch"
    _order = "bank_id, name"

    name = fields.Char(required=True)
    code = fields.Char(required=True)
    bank_id = fields.Many2one("res.bank", required=True, ondelete="cascade", index=True)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "code_per_bank_unique",
            "UNIQUE(bank_id, code)",
            "A bank has one branch per branch code.",
        )
    ]

    @api.depends("name", "code")
    def _compute_display_name(self):
        for branch in self:
            branch.display_name = f"{branch.name} ({branch.code})"

    @api.constrains("code")
    def _check_code(self):
        check = partial(fa_format.normalize_code, "branch_code")
        for branch in self:
            self.env["g2p.payment.fa"]._check_kept_value(branch, "code", check)
