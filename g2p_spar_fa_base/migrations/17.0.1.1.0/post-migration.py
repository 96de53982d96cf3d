# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Keep an upgraded database on the FA format it had.

The data file has just created ``g2p_spar_fa.fa_preset`` with a new
database's default (OpenG2P strategies). A database upgraded from before the
presets already pushed FAs in the templates it stored: it keeps them (the
short preset, or "custom" for templates of its own) until a manager switches
on purpose and re-sends every FA.
"""

import logging

from odoo import SUPERUSER_ID, api

from odoo.addons.g2p_spar_fa_base.lib.fa_format import setting_key
from odoo.addons.g2p_spar_fa_base.lib.fa_presets import (
    TEMPLATE_SLOTS,
    preset_for_upgrade,
)

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    params = env["ir.config_parameter"].sudo()
    stored = {
        slot: params.get_param(setting_key(f"fa_format_{slot}"))
        for slot in TEMPLATE_SLOTS
    }
    cr.execute("SELECT EXISTS (SELECT 1 FROM g2p_payment_fa)")
    has_fas = cr.fetchone()[0]
    preset = preset_for_upgrade(stored, has_fas)
    params.set_param(setting_key("fa_preset"), preset)
    _logger.info("FA format kept on upgrade: %s", preset)
