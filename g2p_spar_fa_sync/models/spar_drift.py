# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class G2pSparDrift(models.Model):
    """One registrant whose FA in SPAR differs from ours, found by a run."""

    _name = "g2p.spar.drift"
    _description = "SPAR Drift"
    _order = "reconciliation_id desc, kind, partner_id"

    reconciliation_id = fields.Many2one(
        "g2p.spar.reconciliation", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Registrant", required=True, ondelete="cascade"
    )
    spar_id = fields.Char(string="SPAR ID", required=True)
    kind = fields.Selection(
        [
            ("missing", "Missing in SPAR"),
            ("different", "Different FA in SPAR"),
            ("details", "Other name, phone or FA kind in SPAR"),
            ("orphan", "In SPAR but removed here"),
        ],
        required=True,
    )
    expected_fa_masked = fields.Char(string="Our FA (masked)")
    spar_fa_masked = fields.Char(string="FA in SPAR (masked)")
