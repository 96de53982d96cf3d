# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_sync.lib import spar_protocol, spar_push
from odoo.addons.g2p_spar_fa_sync.lib.drift import (
    DETAILS,
    DIFFERENT,
    MISSING,
    ORPHAN,
    drift_kind,
)

MANAGER = "g2p_spar_fa_base.group_fa_manager"


class G2pSparFaCheck(models.TransientModel):
    """What SPAR resolves for a registrant right now, beside our FA.

    SPAR is the truth at disbursement: this is what a payment system would
    get. FA managers see both values; FA viewers see them masked. Whether
    they agree (FA, name, payment phone, FA kind) is decided as in the
    reconciliation run.
    """

    _name = "g2p.spar.fa.check"
    _description = "Live SPAR Check"

    partner_id = fields.Many2one(
        "res.partner", string="Registrant", required=True, readonly=True
    )
    spar_id = fields.Char(string="SPAR ID", readonly=True)
    our_fa = fields.Char(string="Our Address", readonly=True, groups=MANAGER)
    spar_fa = fields.Char(string="Address in SPAR", readonly=True, groups=MANAGER)
    our_fa_masked = fields.Char(string="Our Address (masked)", readonly=True)
    spar_fa_masked = fields.Char(string="Address in SPAR (masked)", readonly=True)
    result = fields.Selection(
        [
            ("same", "SPAR holds our address"),
            (DIFFERENT, "SPAR holds another address"),
            (DETAILS, "SPAR holds our address with another name, phone or kind"),
            (MISSING, "SPAR holds no address for this registrant"),
            (ORPHAN, "SPAR still holds an address we removed"),
            ("none", "Neither we nor SPAR hold an address"),
        ],
        readonly=True,
    )
    checked_at = fields.Datetime(readonly=True)

    @api.model
    def _check(self, partner):
        if not partner.spar_id:
            raise UserError(
                _("%(name)s has no SPAR ID: it is not a registrant.", name=partner.name)
            )
        connector = self.env["g2p.spar.connector"]
        try:
            client = connector._client(connector._settings())
            resolved = spar_push.resolve_mappings(client, [partner.spar_id])
        except (spar_protocol.SparError, spar_protocol.SparKeyError) as exc:
            raise UserError(
                _("SPAR could not be asked: %(error)s", error=str(exc))
            ) from exc
        held = resolved[partner.spar_id]
        fa = partner.sudo().payment_fa_id
        expected = spar_push.expected_snapshot(
            fa.fa_string,
            fa.kind,
            fa.payment_msisdn,
            partner.name,
            self.env["g2p.spar.outbox"]._details_key(),
            fa.spar_strategy_id,
        )
        # The reconciliation's decision, so both always agree.
        result = drift_kind(expected, held) or ("same" if expected else "none")
        ours, theirs = expected and expected[0], held and held[0]
        # Written as superuser: the raw values are for managers to read only.
        check = self.sudo().create(
            {
                "partner_id": partner.id,
                "spar_id": partner.spar_id,
                "our_fa": ours,
                "spar_fa": theirs,
                "our_fa_masked": spar_protocol.redact(ours),
                "spar_fa_masked": spar_protocol.redact(theirs),
                "result": result,
                "checked_at": fields.Datetime.now(),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("SPAR holds"),
            "res_model": self._name,
            "res_id": check.id,
            "view_mode": "form",
            "target": "new",
        }
