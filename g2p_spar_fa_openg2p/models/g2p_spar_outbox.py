# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo import api, models

from ..lib import openg2p_rules
from .res_config_settings import ENCRYPTED_NAME_PARAM


class G2pSparOutbox(models.Model):
    _inherit = "g2p.spar.outbox"

    @api.model
    def _snapshot(self, partner):
        """Never send OpenG2P's registry encryption placeholder as the name."""
        snapshot = super()._snapshot(partner)
        if "is_encrypted" not in partner._fields or not partner.sudo().is_encrypted:
            return snapshot
        provider = self.env["g2p.encryption.provider"].sudo().get_registry_provider()
        policy = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(ENCRYPTED_NAME_PARAM, openg2p_rules.NAME_NONE)
        )
        snapshot["name"] = openg2p_rules.name_for_spar(
            snapshot["name"],
            provider.registry_enc_field_placeholder,
            policy,
            lambda: self._decrypted_name(partner, provider),
        )
        return snapshot

    @api.model
    def _decrypted_name(self, partner, provider):
        _is_encrypted, encrypted = partner.sudo().get_encrypted_val()[0]
        if not encrypted:
            return False
        return json.loads(provider.decrypt_data(encrypted).decode()).get("name")
