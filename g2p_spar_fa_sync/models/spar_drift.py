# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..lib.drift import DETAILS, DIFFERENT, MISSING, ORPHAN

MANAGER = "g2p_spar_fa_base.group_fa_manager"


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
            (MISSING, "Missing in SPAR"),
            (DIFFERENT, "Different FA in SPAR"),
            (DETAILS, "Other name, phone or FA kind in SPAR"),
            (ORPHAN, "In SPAR but removed here"),
            ("orphan_mapping", "In SPAR under an ID no registrant holds"),
        ],
        required=True,
    )
    expected_fa_masked = fields.Char(string="Our FA (masked)")
    spar_fa_masked = fields.Char(string="FA in SPAR (masked)")

    def action_unlink_in_spar(self):
        """Queue the unlink of orphan mappings, so that payment systems stop
        resolving an ID nobody holds.

        The row goes to the registrant holding the ID's outbox history, behind
        its other rows. Refused for an ID a registrant holds again since the
        run: that mapping is the registrant's now.
        """
        if not self.env.user.has_group(MANAGER):
            raise AccessError(_("Only FA managers can unlink mappings in SPAR."))
        if self.filtered(lambda drift: drift.kind != "orphan_mapping"):
            raise UserError(
                _(
                    "Only orphan mappings (an ID no registrant holds) are "
                    "unlinked from here; correct other drift through the "
                    "registrant's payment financial address."
                )
            )
        holders = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("spar_id", "in", self.mapped("spar_id"))], limit=1)
        )
        if holders:
            raise UserError(
                _(
                    "SPAR ID %(spar_id)s belongs to registrant %(partner)s "
                    "again: it is not an orphan any more.",
                    spar_id=holders.spar_id,
                    partner=holders.display_name,
                )
            )
        self.env["g2p.spar.outbox"]._record(
            [
                {
                    "partner_id": drift.partner_id.id,
                    "spar_id": drift.spar_id,
                }
                for drift in self
            ],
            upsert=False,
        )
        return True
