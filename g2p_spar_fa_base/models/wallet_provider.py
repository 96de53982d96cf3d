# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models

from ..lib import fa_format
from ..lib.fa_vocabulary import KIND_BANK, KIND_LABELS


def _check_code(code):
    return fa_format.normalize_code("provider", code)


def _check_name(name):
    """A name goes into the OpenG2P strings as is: it must not split them."""
    return fa_format.check_separators(
        "provider_name", fa_format.normalize_provider_name(name)
    )


class G2pWalletProvider(models.Model):
    """A mobile-money or e-mail wallet operator FAs can pay into.

    Administrators keep this list, as OpenG2P keeps banks: an FA picks a
    provider and its name and code go into the FA string, so the payment side
    reads names it knows rather than whatever was typed.
    """

    _name = "g2p.wallet.provider"
    _description = "Wallet Provider"
    _order = "kind, name"

    name = fields.Char(required=True)
    code = fields.Char(required=True)
    kind = fields.Selection(
        [(kind, label) for kind, label in KIND_LABELS if kind != KIND_BANK],
        required=True,
        default="mobile",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "code_per_kind_unique",
            "UNIQUE(kind, code)",
            "Two wallet providers of one kind cannot share a code.",
        )
    ]

    @api.depends("name", "code")
    def _compute_display_name(self):
        for provider in self:
            provider.display_name = f"{provider.name} ({provider.code})"

    @api.constrains("name", "code")
    def _check_values(self):
        fa_model = self.env["g2p.payment.fa"]
        for provider in self:
            fa_model._check_kept_value(provider, "code", _check_code)
            fa_model._check_kept_value(provider, "name", _check_name)
