# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import importlib.util
import re
from pathlib import Path

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import convert_file

from ..lib.fa_presets import PRESET_CUSTOM, PRESET_OPENG2P, PRESET_SHORT
from .common import PaymentFaCommon

# G2P Bridge's deconstruct patterns (OpenG2P's published defaults), verbatim.
BANK_PATTERN = re.compile(
    r"^account_number:(?P<account_number>.*)\.branch_code:(?P<branch_code>.*)"
    r"\.bank_code:(?P<bank_code>.*)\.mobile_number:(?P<mobile_number>.*)"
    r"\.email_address:(?P<email_address>.*)\.fa_type:(?P<fa_type>.*)$"
)
MOBILE_PATTERN = re.compile(
    r"^mobile_number:(?P<mobile_number>.*)\.wallet_provider_name:"
    r"(?P<wallet_provider_name>.*)\.wallet_provider_code:"
    r"(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$"
)
EMAIL_PATTERN = re.compile(
    r"^email_address:(?P<email_address>.*)\.wallet_provider_name:"
    r"(?P<wallet_provider_name>.*)\.wallet_provider_code:"
    r"(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$"
)
MIGRATION = (
    Path(__file__).parents[1] / "migrations" / "17.0.1.1.0" / "post-migration.py"
)


def _migration():
    spec = importlib.util.spec_from_file_location("fa_preset_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestNewDatabase(TransactionCase):
    """What a database installed today does, before any test pins a preset."""

    def test_new_database_builds_openg2p_strategies(self):
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param("g2p_spar_fa.fa_preset"), PRESET_OPENG2P)
        self.assertEqual(
            self.env["g2p.payment.fa"]._get_fa_settings().fa_preset, PRESET_OPENG2P
        )

    def test_demo_registrants_parse_with_g2p_bridge_patterns(self):
        """The demo data ``make run`` installs (loaded here when the test
        database was created without it): every FA deconstructs, with every
        field what the demo entered."""
        if not self.env.ref("g2p_spar_fa_base.demo_fa_anna", raise_if_not_found=False):
            for name in (
                "demo/res_bank_demo.xml",
                "demo/wallet_provider_demo.xml",
                "demo/res_partner_demo.xml",
            ):
                convert_file(
                    self.env, "g2p_spar_fa_base", name, {}, mode="init", kind="demo"
                )
        fa = self.env.ref
        expected = {
            "demo_fa_anna": (BANK_PATTERN, "1234567", "100", "50070010"),
            "demo_fa_jonas": (
                BANK_PATTERN,
                "DE89370400440532013000",
                "",
                "37040044",
            ),
            "demo_fa_achieng": (BANK_PATTERN, "1107654321", "091", "01"),
            "demo_fa_wanjiru": (MOBILE_PATTERN, "+254712345678", "M-Pesa", "MPESA"),
            "demo_fa_otieno": (
                MOBILE_PATTERN,
                "+254722123456",
                "Airtel Money",
                "AIRTEL",
            ),
            "demo_fa_jane": (EMAIL_PATTERN, "jane@example.org", "PayPal", "PAYPAL"),
        }
        for xmlid, (pattern, *values) in expected.items():
            with self.subTest(xmlid):
                parts = pattern.match(fa(f"g2p_spar_fa_base.{xmlid}").fa_string)
                self.assertTrue(parts)
                self.assertEqual(list(parts.groups())[: len(values)], values)


@tagged("post_install", "-at_install")
class TestFaFormats(PaymentFaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_preset", PRESET_OPENG2P
        )
        cls.bank.bank_code = "37040044"
        cls.branch = cls.env["g2p.bank.branch"].create(
            {"name": "Köln", "code": "370", "bank_id": cls.bank.id}
        )
        cls.mpesa = cls.env["g2p.wallet.provider"].create(
            {"name": "M-Pesa Test", "code": "T-MPESA", "kind": "mobile"}
        )
        cls.paypal = cls.env["g2p.wallet.provider"].create(
            {"name": "PayPal Test", "code": "T-PAYPAL", "kind": "email"}
        )
        cls.registrant = cls._create_registrant("Wanjiru Kamau")

    def test_bank_fa_takes_bank_and_branch_codes(self):
        fa = self._create_bank_fa(self.registrant, branch_id=self.branch.id)
        self.assertEqual(
            fa.fa_string,
            "account_number:1234567.branch_code:370.bank_code:37040044"
            ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT",
        )
        self.assertEqual((fa.bank_code, fa.branch_code), ("37040044", "370"))
        self.assertEqual(
            fa.fa_masked,
            "account_number:*****7.branch_code:370.bank_code:37040044"
            ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT",
        )

    def test_branch_given_by_code_is_found_and_a_branch_names_its_bank(self):
        fa = self._create_fa(
            self.registrant, kind="bank", account_number="42", branch_id=self.branch.id
        )
        self.assertEqual(fa.bank_id, self.bank)
        again = self._create_bank_fa(self.registrant, branch_code="370")
        self.assertEqual(again.branch_id, self.branch)

    def test_iban_gives_account_bank_and_branch_codes(self):
        fa = self._create_fa(
            self.registrant, kind="bank", iban="FR14 2004 1010 0505 0001 3M02 606"
        )
        self.assertEqual(
            BANK_PATTERN.match(fa.fa_string).group(
                "account_number", "branch_code", "bank_code"
            ),
            ("FR1420041010050500013M02606", "01005", "20041"),
        )

    def test_conflicting_codes_are_refused_naming_the_field(self):
        other_bank = self.env["res.bank"].create({"name": "Other", "bank_code": "9"})
        cases = [
            (
                {"branch_id": self.branch.id, "branch_code": "999"},
                "^Branch Code: '999' differs from '370'",
            ),
            ({"branch_id": self.branch.id, "bank_id": other_bank.id}, "^Branch: "),
            (
                {"iban": "DE89370400440532013000", "bank_code": "50070010"},
                "^Bank Code: '50070010' differs from the '37040044'",
            ),
        ]
        current = self._create_bank_fa(self.registrant)
        for vals, message in cases:
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(ValidationError, message),
            ):
                self._create_fa(
                    self.registrant,
                    **{"kind": "bank", "account_number": "1", **vals},
                )
            self.assertEqual(self.registrant.payment_fa_id, current)

    def test_a_bic_alone_names_its_bank_and_the_banks_code(self):
        """ODK forms and the JSON API give a BIC, not a bank record: the one
        bank of the list with that BIC (8 or 11 characters) gives its code;
        an unknown or ambiguous BIC names none."""
        bank = self.env["res.bank"].create(
            {"name": "Bundesbank", "bic": "MARKDEFFXXX", "bank_code": "50000000"}
        )
        for bic in ("MARKDEFFXXX", "markdeff"):
            with self.subTest(bic=bic):
                registrant = self._create_registrant(f"By BIC {bic}")
                fa = self._create_fa(
                    registrant, kind="bank", account_number="7654321", bic=bic
                )
                self.assertEqual(fa.bank_id, bank)
                self.assertIn(".bank_code:50000000.", fa.fa_string)
        self.env["res.bank"].create({"name": "Twin", "bic": "MARKDEFF"})
        for bic in ("NWBKGB2L", "MARKDEFF"):
            with self.subTest(bic=bic):
                registrant = self._create_registrant(f"No bank for {bic}")
                with self.assertRaisesRegex(ValidationError, "^Bank Code: is missing"):
                    self._create_fa(
                        registrant, kind="bank", account_number="1", bic=bic
                    )
                self.assertFalse(registrant.payment_fa_id)

    def test_bank_without_code_is_refused_naming_the_bank_code(self):
        bank = self.env["res.bank"].create({"name": "No Code", "bic": "DEUTDEFF"})
        with self.assertRaisesRegex(ValidationError, "^Bank Code: is missing"):
            self._create_fa(
                self.registrant, kind="bank", account_number="1", bank_id=bank.id
            )

    def test_wallet_provider_name_and_code_go_into_the_string(self):
        by_record = self._create_fa(
            self.registrant,
            kind="mobile",
            payment_msisdn="0712345678",
            wallet_provider_id=self.mpesa.id,
        )
        self.assertEqual(
            by_record.fa_string,
            "mobile_number:+254712345678.wallet_provider_name:M-Pesa Test"
            ".wallet_provider_code:T-MPESA.fa_type:MOBILE_WALLET",
        )
        by_code = self._create_fa(
            self.registrant,
            kind="email",
            payment_email="j@example.org",
            provider_code="T-PAYPAL",
        )
        self.assertEqual(by_code.wallet_provider_id, self.paypal)
        self.assertEqual(by_code.provider_name, "PayPal Test")
        self.assertTrue(EMAIL_PATTERN.match(by_code.fa_string))

    def test_unknown_or_mismatched_provider_is_refused(self):
        with self.assertRaisesRegex(
            ValidationError, "^Wallet Provider Name: is missing"
        ):
            self._create_fa(
                self.registrant,
                kind="mobile",
                payment_msisdn="0712345678",
                provider_code="NOSUCH",
            )
        with self.assertRaisesRegex(ValidationError, "^Wallet Provider: PayPal Test"):
            self._create_fa(
                self.registrant,
                kind="mobile",
                payment_msisdn="0712345678",
                wallet_provider_id=self.paypal.id,
            )
        with self.assertRaisesRegex(ValidationError, "^Wallet Provider Code: 'AIRTEL'"):
            self._create_fa(
                self.registrant,
                kind="mobile",
                payment_msisdn="0712345678",
                wallet_provider_id=self.mpesa.id,
                provider_code="AIRTEL",
            )

    def test_provider_names_that_would_break_the_string_are_refused(self):
        names = ("Pay.fa_type:BANK_ACCOUNT", "Pay\nCo", "M.wallet_provider_code:X")
        for index, name in enumerate(names):
            with (
                self.subTest(name=name),
                self.assertRaisesRegex(ValidationError, "^Name: "),
            ):
                self.env["g2p.wallet.provider"].create(
                    {"name": name, "code": f"X{index}", "kind": "mobile"}
                )
        with self.assertRaisesRegex(ValidationError, "^Code: "):
            self.env["g2p.wallet.provider"].create(
                {"name": "Fine", "code": "A:B", "kind": "mobile"}
            )

    def test_bank_and_branch_codes_that_no_fa_could_hold_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "^Bank Code: 'A:B' may only"):
            self.env["res.bank"].create({"name": "Bad", "bank_code": "A:B"})
        with self.assertRaisesRegex(ValidationError, "^Code: 'X Y' may only"):
            self.env["g2p.bank.branch"].create(
                {"name": "Bad", "code": "X Y", "bank_id": self.bank.id}
            )

    def test_fa_users_read_providers_only_fa_administrators_keep_them(self):
        providers = self.env["g2p.wallet.provider"]
        self.assertEqual(
            providers.with_user(self.user_viewer).search([("code", "=", "T-MPESA")]),
            self.mpesa,
        )
        for user in (self.user_viewer, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                providers.with_user(user).create(
                    {"name": "Mine", "code": "MINE", "kind": "mobile"}
                )
            with self.assertRaises(AccessError):
                self.mpesa.with_user(user).write({"code": "OTHER"})
        with self.assertRaises(AccessError):
            self.mpesa.with_user(self.user_plain).read(["name"])

    def test_strategy_id_is_kept_with_the_fa_built_in_its_format(self):
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.strategy_id_mobile", "3")
        fa = self._create_fa(
            self.registrant,
            kind="mobile",
            payment_msisdn="0712345678",
            wallet_provider_id=self.mpesa.id,
        )
        self.assertEqual(fa.spar_strategy_id, 3)
        bank_fa = self._create_bank_fa(self.registrant)
        self.assertEqual(bank_fa.spar_strategy_id, 0)

    def test_reformat_records_only_fas_whose_string_changes(self):
        params = self.env["ir.config_parameter"]
        params.set_param("g2p_spar_fa.fa_preset", PRESET_SHORT)
        other = self._create_registrant("Otieno")
        no_code = self._create_registrant("Amara")
        bare_bank = self.env["res.bank"].create({"name": "Bare", "bic": "DEUTDEFF"})
        old_mobile = self._create_fa(
            self.registrant,
            kind="mobile",
            payment_msisdn="0712345678",
            wallet_provider_id=self.mpesa.id,
        )
        old_bank = self._create_bank_fa(other)
        refused_fa = self._create_fa(
            no_code, kind="bank", account_number="77", bank_id=bare_bank.id
        )
        params.set_param("g2p_spar_fa.fa_preset", PRESET_OPENG2P)
        partners = self.registrant | other | no_code
        recorded, unchanged, refused = self.FA._reformat(partners.ids)
        self.assertEqual(recorded.partner_id, self.registrant | other)
        self.assertEqual(unchanged, 0)
        self.assertEqual(list(refused), [no_code.id])
        self.assertIn("Bank Code: is missing", refused[no_code.id])
        self.assertFalse(old_mobile.active or old_bank.active)
        self.assertTrue(refused_fa.active)
        self.assertEqual(self.registrant.payment_fa_id.payment_msisdn, "+254712345678")
        self.assertTrue(MOBILE_PATTERN.match(self.registrant.payment_fa_id.fa_string))
        self.assertEqual(other.payment_fa_id.bank_code, "37040044")
        # Already in the format: nothing recorded a second time.
        recorded, unchanged, refused = self.FA._reformat(partners.ids)
        self.assertFalse(recorded)
        self.assertEqual((unchanged, len(refused)), (2, 1))


@tagged("post_install", "-at_install")
class TestPresetMigration(PaymentFaCommon):
    """The 17.0.1.1.0 migration keeps an upgraded database on its format."""

    def _migrate(self, **templates):
        params = self.env["ir.config_parameter"]
        for slot, template in templates.items():
            params.set_param(f"g2p_spar_fa.fa_format_{slot}", template)
        params.set_param("g2p_spar_fa.fa_preset", PRESET_OPENG2P)  # the data file's
        _migration().migrate(self.env.cr, "17.0.1.0.0")
        return params.get_param("g2p_spar_fa.fa_preset")

    def test_database_with_short_templates_keeps_the_short_preset(self):
        self.assertEqual(self._migrate(), PRESET_SHORT)
        fa = self._create_fa(
            self._create_registrant(), kind="mobile", payment_msisdn="0712345678"
        )
        self.assertEqual(fa.fa_string, "phone:+254712345678")

    def test_database_with_its_own_templates_keeps_them(self):
        self.assertEqual(self._migrate(mobile="tel:{msisdn}"), PRESET_CUSTOM)
        fa = self._create_fa(
            self._create_registrant(), kind="mobile", payment_msisdn="0712345678"
        )
        self.assertEqual(fa.fa_string, "tel:+254712345678")

    def test_a_new_install_runs_no_migration(self):
        params = self.env["ir.config_parameter"]
        params.set_param("g2p_spar_fa.fa_preset", PRESET_OPENG2P)
        _migration().migrate(self.env.cr, None)
        self.assertEqual(params.get_param("g2p_spar_fa.fa_preset"), PRESET_OPENG2P)
