# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class G2pOdkImportInstance(models.TransientModel):
    """Import one submission by its instanceID, e.g. after fixing it in Central."""

    _name = "g2p.odk.import.instance"
    _description = "Import one ODK submission"

    config_id = fields.Many2one("g2p.odk.import.config", required=True)
    instance_id = fields.Char(
        string="Instance ID", required=True, help="The submission's uuid:... ID."
    )

    def action_import(self):
        self.ensure_one()
        record = self.config_id._import_instance(self.instance_id)
        return {
            "type": "ir.actions.act_window",
            "res_model": "g2p.odk.import.record",
            "res_id": record.id,
            "view_mode": "form",
            "target": "current",
        }
