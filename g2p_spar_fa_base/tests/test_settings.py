# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PaymentFaCommon


@tagged("post_install", "-at_install")
class TestSettings(PaymentFaCommon):
    def _save_settings(self, **vals):
        self.env["res.config.settings"].create(vals).execute()

    def test_defaults(self):
        settings = self.FA._get_fa_settings()
        self.assertEqual(settings.id_format, "token:{id}@{id_type}")
        self.assertEqual(settings.id_type, "REGISTRY_ID")
        self.assertEqual(settings.fa_format_bank, "account_no:{account}@{bic}")
        self.assertEqual(settings.fa_format_iban, "iban:{iban}@{bic}")
        self.assertEqual(settings.fa_format_mobile, "phone:{msisdn}")
        self.assertEqual(settings.fa_format_email, "email:{email}")
        self.assertEqual(settings.phone_region, "KE")

    def test_saving_id_settings_updates_spar_ids(self):
        registrant = self._create_registrant(registrant_ref="R1")
        self._save_settings(
            g2p_spar_fa_id_format="spar:{id}:{id_type}",
            g2p_spar_fa_id_type="NATIONAL_ID",
        )
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("g2p_spar_fa.id_type"),
            "NATIONAL_ID",
        )
        self.assertEqual(registrant.spar_id, "spar:R1:NATIONAL_ID")

    def test_saving_fa_format_applies_to_new_fas(self):
        registrant = self._create_registrant()
        self._save_settings(
            g2p_spar_fa_fa_preset="custom",
            g2p_spar_fa_fa_format_mobile="msisdn:{msisdn}",
        )
        fa = self._create_fa(registrant, kind="mobile", payment_msisdn="+254712345678")
        self.assertEqual(fa.fa_string, "msisdn:+254712345678")

    def test_invalid_settings_are_refused(self):
        cases = {
            "g2p_spar_fa_id_format": "token:{uid}",
            "g2p_spar_fa_fa_format_bank": "account_no:{acct}@{bic}",
            "g2p_spar_fa_phone_region": "XX",
        }
        for field, value in cases.items():
            key = field.replace("g2p_spar_fa_", "g2p_spar_fa.", 1)
            with (
                self.subTest(field=field),
                self.assertRaisesRegex(ValidationError, f"^{key}: "),
            ):
                self._save_settings(**{field: value})
        params = self.env["ir.config_parameter"]
        self.assertEqual(
            params.get_param("g2p_spar_fa.id_format"), "token:{id}@{id_type}"
        )
        self.assertEqual(params.get_param("g2p_spar_fa.phone_region"), "KE")

    def test_id_format_merging_registrants_is_refused(self):
        registrant = self._create_registrant("Anna Becker")
        self._create_registrant("Jonas Weber")
        spar_id = registrant.spar_id
        with self.assertRaisesRegex(ValidationError, "share the SPAR ID"):
            self._save_settings(g2p_spar_fa_id_format="{id_type}")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("g2p_spar_fa.id_format"),
            "token:{id}@{id_type}",
        )
        self.assertEqual(registrant.spar_id, spar_id)
