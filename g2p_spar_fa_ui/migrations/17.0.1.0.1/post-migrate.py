# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Remove the uploaded partner keys 17.0.1.0.0 left in the filestore."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.config.settings"]._purge_private_key_attachments()
