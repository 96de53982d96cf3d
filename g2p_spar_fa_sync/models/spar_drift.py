# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class G2pSparDrift(models.Model):
    """One registrant whose FA in SPAR differs from ours, found by a run.

    An orphan mapping is a SPAR ID we once linked that no registrant holds
    any more (merged away, or the registrant's ID changed) and that SPAR
    still resolves; it names the registrant that holds its outbox history.
    """

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
            ("orphan", "In SPAR but removed here"),
            ("orphan_mapping", "In SPAR under an ID no registrant holds"),
        ],
        required=True,
    )
    expected_fa_masked = fields.Char(string="Our FA (masked)")
    spar_fa_masked = fields.Char(string="FA in SPAR (masked)")
