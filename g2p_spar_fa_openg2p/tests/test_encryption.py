# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
from unittest.mock import patch

from odoo.tests import tagged

from ..lib.openg2p_rules import NAME_DECRYPTED, NAME_NONE
from ..models.res_config_settings import ENCRYPTED_NAME_PARAM
from .common import OpenG2PCommon


def _reversible(_provider, data, **_kwargs):
    """Stands in for a key manager: no encryption provider type installs
    here (g2p_encryption_keymanager needs a MOSIP key manager)."""
    return base64.b64encode(data[::-1])


def _reverse_back(_provider, data, **_kwargs):
    return base64.b64decode(data)[::-1]


@tagged("post_install", "-at_install")
class TestEncryptedNames(OpenG2PCommon):
    """OpenG2P's registry encryption stores a registrant's name as a
    placeholder; SPAR must never receive the placeholder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        provider_class = type(cls.env["g2p.encryption.provider"])
        cls.startClassPatcher(patch.object(provider_class, "encrypt_data", _reversible))
        cls.startClassPatcher(
            patch.object(provider_class, "decrypt_data", _reverse_back)
        )
        cls.env["ir.config_parameter"].set_param(
            "g2p_registry_encryption.encrypt_registry", True
        )
        cls.placeholder = (
            cls.env["g2p.encryption.provider"]
            .get_registry_provider()
            .registry_enc_field_placeholder
        )

    def _encrypted_registrant(self, name):
        partner = self._individual(name, self._nid())
        self.assertEqual(partner.name, self.placeholder)
        return partner

    def test_no_name_by_default(self):
        partner = self._encrypted_registrant("Halima Hidden")
        self._mobile_fa(partner, "+254712345030")
        self.assertFalse(self._last_row(partner).name)
        self.drain()
        self.assertNotEqual(self.spar_table_row(partner)["name"], self.placeholder)

    def test_real_name_when_chosen(self):
        self.env["ir.config_parameter"].set_param(ENCRYPTED_NAME_PARAM, NAME_DECRYPTED)
        partner = self._encrypted_registrant("Imani Decrypted")
        self._mobile_fa(partner, "+254712345031")
        self.assertEqual(self._last_row(partner).name, "Imani Decrypted")
        self.drain()
        self.assertEqual(self.spar_table_row(partner)["name"], "Imani Decrypted")

    def test_plain_names_are_sent_as_they_are(self):
        self.env["ir.config_parameter"].set_param(ENCRYPTED_NAME_PARAM, NAME_NONE)
        self.env["ir.config_parameter"].set_param(
            "g2p_registry_encryption.encrypt_registry", False
        )
        partner = self._individual("Jabari Plain", self._nid())
        self._mobile_fa(partner, "+254712345032")
        self.assertEqual(self._last_row(partner).name, "Jabari Plain")
