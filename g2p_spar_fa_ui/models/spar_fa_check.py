# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_sync.lib import spar_protocol, spar_push

MANAGER = "g2p_spar_fa_base.group_fa_manager"


class G2pSparFaCheck(models.TransientModel):
    """What SPAR resolves for a registrant right now, beside our FA.

    SPAR is the truth at disbursement: this is what a payment system would
    get. FA managers see both values; FA viewers see them masked.
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
            ("different", "SPAR holds another address"),
            ("missing", "SPAR holds no address for this registrant"),
            ("orphan", "SPAR still holds an address we removed"),
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
            held = spar_push.resolve_fas(client, [partner.spar_id])[partner.spar_id]
        except (spar_protocol.SparError, spar_protocol.SparKeyError) as exc:
            raise UserError(
                _("SPAR could not be asked: %(error)s", error=str(exc))
            ) from exc
        ours = partner.sudo().payment_fa_id.fa_string or None
        if ours == held:
            result = "same" if ours else "none"
        elif ours is None:
            result = "orphan"
        else:
            result = "missing" if held is None else "different"
        # Written as superuser: the raw values are for managers to read only.
        check = self.sudo().create(
            {
                "partner_id": partner.id,
                "spar_id": partner.spar_id,
                "our_fa": ours,
                "spar_fa": held,
                "our_fa_masked": spar_protocol.redact(ours),
                "spar_fa_masked": spar_protocol.redact(held),
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
