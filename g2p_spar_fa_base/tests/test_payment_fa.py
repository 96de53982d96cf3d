# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PaymentFaCommon


@tagged("post_install", "-at_install")
class TestPaymentFa(PaymentFaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registrant = cls._create_registrant("Wanjiru Kamau")

    def test_bank_account_takes_bic_from_bank(self):
        fa = self._create_bank_fa(self.registrant, holder_name="Wanjiru Kamau")
        self.assertEqual(fa.bic, "COBADEFFXXX")
        self.assertEqual(fa.fa_string, "account_no:1234567@COBADEFFXXX")
        self.assertEqual(fa.fa_masked, "account_no:*****7@COBADEFFXXX")
        self.assertEqual(fa.display_name, "account_no:*****7@COBADEFFXXX")
        self.assertEqual(self.registrant.payment_fa_id, fa)

    def test_iban_is_normalised_and_preferred(self):
        fa = self._create_fa(
            self.registrant,
            kind="bank",
            iban="de89 3704 0044 0532 0130 00",
            bank_id=self.bank.id,
        )
        self.assertEqual(fa.iban, "DE89370400440532013000")
        self.assertEqual(fa.fa_string, "iban:DE89370400440532013000@COBADEFFXXX")
        self.assertEqual(fa.fa_masked, "iban:*****000@COBADEFFXXX")

    def test_mobile_wallet_national_number_stored_as_e164(self):
        fa = self._create_fa(
            self.registrant,
            kind="mobile",
            payment_msisdn="0712 345 678",
            provider_code="MPESA",
        )
        self.assertEqual(fa.payment_msisdn, "+254712345678")
        self.assertEqual(fa.fa_string, "phone:+254712345678")
        self.assertEqual(fa.fa_masked, "phone:*****678")

    def test_phone_region_defaults_to_company_country(self):
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", False)
        self.env.company.country_id = self.env.ref("base.de")
        fa = self._create_fa(
            self.registrant, kind="mobile", payment_msisdn="030 1234567"
        )
        self.assertEqual(fa.payment_msisdn, "+49301234567")
        other = self._create_registrant("Otieno")
        fa = self._create_fa(other, kind="mobile", payment_msisdn="+254712345678")
        self.assertEqual(fa.payment_msisdn, "+254712345678")

    def test_email_wallet(self):
        fa = self._create_fa(
            self.registrant, kind="email", payment_email="jane@Example.ORG"
        )
        self.assertEqual(fa.fa_string, "email:jane@example.org")
        self.assertEqual(fa.fa_masked, "email:*****e@example.org")

    def test_new_fa_archives_previous_and_keeps_history(self):
        old = self._create_bank_fa(self.registrant)
        new = self._create_fa(
            self.registrant, kind="mobile", payment_msisdn="+254712345678"
        )
        self.assertFalse(old.active)
        self.assertTrue(new.active)
        self.assertEqual(self.registrant.payment_fa_id, new)
        self.assertEqual(self.registrant.payment_fa_ids, old | new)
        self.assertEqual(old.fa_string, "account_no:1234567@COBADEFFXXX")

    def test_batch_create_keeps_last_fa_of_a_registrant(self):
        first, second = self.FA.create(
            [
                {
                    "partner_id": self.registrant.id,
                    "kind": "email",
                    "payment_email": "first@example.org",
                },
                {
                    "partner_id": self.registrant.id,
                    "kind": "email",
                    "payment_email": "second@example.org",
                },
            ]
        )
        self.assertFalse(first.active)
        self.assertEqual(self.registrant.payment_fa_id, second)

    def test_invalid_replacement_leaves_current_fa_untouched(self):
        current = self._create_bank_fa(self.registrant)
        bankless = self.env["res.bank"].create({"name": "No BIC Bank"})
        cases = [
            (
                "IBAN",
                {"kind": "bank", "iban": "DE89370400440532013001"},
            ),
            ("Payment Mobile Number", {"kind": "mobile", "payment_msisdn": "0812"}),
            (
                "Payment Mobile Number",
                {"kind": "mobile", "payment_msisdn": "+49 30 12"},
            ),
            ("Payment E-mail", {"kind": "email", "payment_email": "jane@"}),
            ("Account Number", {"kind": "bank", "bank_id": self.bank.id}),
            ("BIC", {"kind": "bank", "account_number": "99", "bank_id": bankless.id}),
            ("Payment Mobile Number", {"kind": "mobile"}),
            (
                "Payment E-mail",
                {
                    "kind": "mobile",
                    "payment_msisdn": "+254712345678",
                    "payment_email": "a@b.org",
                },
            ),
        ]
        for label, vals in cases:
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(ValidationError, f"^{label}: "):
                    self._create_fa(self.registrant, **vals)
                self.assertTrue(current.active)
                self.assertEqual(self.registrant.payment_fa_id, current)
                self.assertEqual(current.fa_string, "account_no:1234567@COBADEFFXXX")
                self.assertEqual(current.account_number, "1234567")
        self.assertEqual(self.registrant.payment_fa_ids, current)

    def test_format_needing_a_missing_part_names_field_and_setting(self):
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.fa_preset", "custom")
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_format_bank", "account_no:{account}.{bank_code}@{bic}"
        )
        with self.assertRaisesRegex(
            ValidationError, r"^Bank Code: .*g2p_spar_fa\.fa_format_bank"
        ):
            self._create_bank_fa(self.registrant)
        fa = self._create_bank_fa(self.registrant, bank_code="100")
        self.assertEqual(fa.fa_string, "account_no:1234567.100@COBADEFFXXX")

    def test_unknown_placeholder_in_fa_format_names_setting(self):
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.fa_preset", "custom")
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_format_email", "email:{mail}"
        )
        with self.assertRaisesRegex(
            ValidationError, r"^g2p_spar_fa\.fa_format_email: unknown placeholder"
        ):
            self._create_fa(self.registrant, kind="email", payment_email="a@b.org")

    def test_values_are_immutable(self):
        fa = self._create_bank_fa(self.registrant)
        for vals in (
            {"account_number": "7654321"},
            {"kind": "mobile"},
            {"partner_id": self._create_registrant("Other").id},
            {"holder_name": "Someone Else"},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(UserError, "Record a new financial address"),
            ):
                fa.write(vals)
        self.assertEqual(fa.fa_string, "account_no:1234567@COBADEFFXXX")

    def test_fa_strings_cannot_be_forged(self):
        fa = self._create_bank_fa(self.registrant)
        for fname in ("fa_string", "fa_masked"):
            with (
                self.subTest(field=fname),
                self.assertRaisesRegex(UserError, "Record a new financial address"),
            ):
                fa.write({fname: "account_no:666@EVILDEFF"})
        forged = self._create_bank_fa(
            self._create_registrant("Otieno"),
            fa_string="account_no:666@EVILDEFF",
            fa_masked="account_no:****0666@EVILDEFF",
        )
        self.assertEqual(forged.fa_string, "account_no:1234567@COBADEFFXXX")
        self.assertEqual(forged.fa_masked, "account_no:*****7@COBADEFFXXX")
        self.env.invalidate_all()
        self.assertEqual(fa.fa_string, "account_no:1234567@COBADEFFXXX")

    def test_fa_strings_keep_what_was_recorded_when_the_format_changes(self):
        fa = self._create_bank_fa(self.registrant)
        self.env["res.config.settings"].create(
            {
                "g2p_spar_fa_fa_preset": "custom",
                "g2p_spar_fa_fa_format_bank": "acc:{account}.{bic}",
            }
        ).execute()
        self.env.invalidate_all()
        self.assertEqual(fa.fa_string, "account_no:1234567@COBADEFFXXX")
        self.assertEqual(fa.fa_masked, "account_no:*****7@COBADEFFXXX")
        new = self._create_bank_fa(self._create_registrant("Otieno"))
        self.assertEqual(new.fa_string, "acc:1234567.COBADEFFXXX")

    def test_archived_registrant_cannot_hold_an_fa(self):
        self.registrant.action_archive()
        with self.assertRaisesRegex(
            ValidationError, "^Registrant: Wanjiru Kamau is archived"
        ):
            self._create_bank_fa(self.registrant)
        self.assertFalse(self.registrant.payment_fa_ids)

    def test_control_characters_in_fa_parts_name_the_field(self):
        current = self._create_bank_fa(self.registrant)
        cases = [
            ("Account Number", {"kind": "bank", "account_number": "12\x0034"}),
            (
                "Account Holder",
                {"kind": "bank", "account_number": "1", "holder_name": "Jane\x00"},
            ),
            ("IBAN", {"kind": "bank", "iban": "DE89\x00370400440532013000"}),
            ("BIC", {"kind": "bank", "account_number": "1", "bic": "COBA\x00DEFF"}),
            (
                "Bank Code",
                {"kind": "bank", "account_number": "1", "bank_code": "1\x00"},
            ),
            (
                "Branch Code",
                {"kind": "bank", "account_number": "1", "branch_code": "\x001"},
            ),
            (
                "Payment Mobile Number",
                {"kind": "mobile", "payment_msisdn": "+254712345678\x00"},
            ),
            (
                "Wallet Provider Code",
                {
                    "kind": "mobile",
                    "payment_msisdn": "+254712345678",
                    "provider_code": "MP\x00",
                },
            ),
            ("Payment E-mail", {"kind": "email", "payment_email": "a\x00@b.org"}),
        ]
        for label, vals in cases:
            vals.setdefault("bank_id", self.bank.id)
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(
                    ValidationError,
                    f"^{label}: contains the control character U\\+0000 \\(NUL\\)$",
                ):
                    self._create_fa(self.registrant, **vals)
                self.assertEqual(self.registrant.payment_fa_id, current)
        self.assertEqual(current.fa_string, "account_no:1234567@COBADEFFXXX")

    def test_overlong_fa_parts_are_refused_and_current_fa_kept(self):
        current = self._create_bank_fa(self.registrant)
        cases = [
            ("Account Number", 34, {"account_number": "1" * 10_000}),
            ("Account Holder", 140, {"account_number": "1", "holder_name": "J" * 141}),
            ("Bank Code", 35, {"account_number": "1", "bank_code": "1" * 36}),
        ]
        for label, limit, vals in cases:
            with self.subTest(field=label):
                with self.assertRaisesRegex(
                    ValidationError, f"^{label}: is .* at most {limit} are allowed$"
                ):
                    self._create_fa(
                        self.registrant, kind="bank", bank_id=self.bank.id, **vals
                    )
                self.assertEqual(self.registrant.payment_fa_id, current)
        fa = self._create_bank_fa(self.registrant, holder_name=" Jane Doe ")
        self.assertEqual(fa.holder_name, "Jane Doe")

    def test_remove_archives_and_keeps_history(self):
        fa = self._create_bank_fa(self.registrant)
        self.registrant.action_remove_payment_fa()
        self.assertFalse(fa.active)
        self.assertFalse(self.registrant.payment_fa_id)
        self.assertEqual(self.registrant.payment_fa_ids, fa)

    def test_archived_fa_cannot_be_restored(self):
        fa = self._create_bank_fa(self.registrant)
        fa.action_remove()
        with self.assertRaisesRegex(UserError, "cannot be restored"):
            fa.action_unarchive()
        self.assertFalse(fa.active)

    def test_only_archived_fas_can_be_deleted(self):
        fa = self._create_bank_fa(self.registrant)
        with self.assertRaisesRegex(UserError, "instead of deleting"):
            fa.unlink()
        fa.action_remove()
        fa.unlink()
        self.assertFalse(fa.exists())

    def test_database_allows_one_active_fa_per_registrant(self):
        old = self._create_bank_fa(self.registrant)
        self._create_fa(self.registrant, kind="email", payment_email="a@b.org")
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "UPDATE g2p_payment_fa SET active = TRUE WHERE id = %s", [old.id]
            )

    def test_only_registrants_hold_an_fa(self):
        contact = self.env["res.partner"].create({"name": "Supplier"})
        with self.assertRaisesRegex(ValidationError, "^Registrant: Supplier"):
            self._create_bank_fa(contact)
        with self.assertRaisesRegex(ValidationError, "^Registrant: .*required"):
            self.FA.create({"kind": "email", "payment_email": "a@b.org"})

    def test_payment_msisdn_is_independent_of_partner_contact_data(self):
        self.registrant.write(
            {
                "phone": "+254 700 000 001",
                "mobile": "+254 700 000 002",
                "email": "contact@example.org",
            }
        )
        with self.assertRaisesRegex(ValidationError, "^Payment Mobile Number: "):
            self._create_fa(self.registrant, kind="mobile")
        fa = self._create_fa(
            self.registrant, kind="mobile", payment_msisdn="+254712345678"
        )
        self.assertEqual(self.registrant.phone, "+254 700 000 001")
        self.assertEqual(self.registrant.mobile, "+254 700 000 002")
        self.assertEqual(self.registrant.email, "contact@example.org")
        self.registrant.write({"mobile": "+254 799 999 999", "phone": False})
        self.assertEqual(fa.payment_msisdn, "+254712345678")
        self.assertEqual(fa.fa_string, "phone:+254712345678")

    def test_hooks_report_replacement_and_removal(self):
        model_class = type(self.FA)
        with (
            patch.object(model_class, "_on_fa_replaced", autospec=True) as replaced,
            patch.object(model_class, "_on_fa_removed", autospec=True) as removed,
        ):
            first = self._create_bank_fa(self.registrant)
            second = self._create_fa(
                self.registrant, kind="email", payment_email="a@b.org"
            )
            self.assertEqual(
                [call.args[1:] for call in replaced.call_args_list],
                [(self.FA, first), (first, second)],
            )
            removed.assert_not_called()
            second.action_remove()
            removed.assert_called_once()
            self.assertEqual(removed.call_args.args[0], second)

    def test_a_callers_context_cannot_hide_a_removal(self):
        fa = self._create_bank_fa(self.registrant)
        with patch.object(type(self.FA), "_on_fa_removed", autospec=True) as removed:
            fa.with_context(g2p_fa_replacing=True).write({"active": False})
        removed.assert_called_once()
