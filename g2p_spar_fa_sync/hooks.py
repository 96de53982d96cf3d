# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.addons.g2p_spar_fa_base import change

BATCH = 1000


def post_init_hook(env):
    """Queue every FA that exists before the sync is installed.

    Registrants recorded earlier (or by demo data) would otherwise reach SPAR
    only at their next change, i.e. be unpayable until then.
    """
    partners = env["g2p.payment.fa"].search([]).partner_id
    outbox = env["g2p.spar.outbox"]
    with change.recording(env, change.ChangeContext(change.CODE)):
        for start in range(0, len(partners), BATCH):
            outbox._record_upserts(partners[start : start + BATCH])
