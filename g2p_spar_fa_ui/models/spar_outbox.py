# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_sync.lib.outbox_states import UNFINISHED

OVERDUE_PARAM = "g2p_spar_fa_ui.overdue_minutes"
OVERDUE_DEFAULT = 15


class G2pSparOutbox(models.Model):
    _inherit = "g2p.spar.outbox"

    change_reason = fields.Char(string="Reason", readonly=True)
    request_ref = fields.Char(string="Request Reference", readonly=True)
    is_overdue = fields.Boolean(
        string="Pending too long",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Not in SPAR yet, and written longer ago than the threshold set "
        "in the SPAR settings.",
    )

    @api.model
    def _record(self, vals_list, upsert):
        current = change.current_change(self.env)
        for vals in vals_list:
            vals.setdefault("change_reason", current.reason)
            vals.setdefault("request_ref", current.request_ref)
        return super()._record(vals_list, upsert)

    @api.model
    def _overdue_before(self):
        minutes = self.env["ir.config_parameter"].sudo().get_param(OVERDUE_PARAM)
        return fields.Datetime.now() - timedelta(
            minutes=int(minutes or OVERDUE_DEFAULT)
        )

    @api.depends("state", "create_date")
    def _compute_is_overdue(self):
        before = self._overdue_before()
        for row in self:
            row.is_overdue = bool(
                row.state in UNFINISHED and row.create_date and row.create_date < before
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Filter rows pending too long with yes or no only."))
        domain = [
            ("state", "in", UNFINISHED),
            ("create_date", "<", self._overdue_before()),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    def action_open_registrant(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
        }
