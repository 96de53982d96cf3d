# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Seal the partner private key that 17.0.1.0.0 stored in clear."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["g2p.spar.connector"]._seal_stored_private_key()
