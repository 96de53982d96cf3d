# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PaymentFaCommon

RAW_FIELDS = ("account_number", "iban", "payment_msisdn", "payment_email", "fa_string")


@tagged("post_install", "-at_install")
class TestSecurity(PaymentFaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registrant = cls._create_registrant("Wanjiru Kamau")
        cls.fa = cls.FA.create(
            {
                "partner_id": cls.registrant.id,
                "kind": "mobile",
                "payment_msisdn": "+254712345678",
            }
        )

    def test_admin_is_fa_administrator(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("g2p_spar_fa_base.group_fa_admin"))
        self.assertTrue(admin.has_group("g2p_spar_fa_base.group_fa_viewer"))
        self.assertFalse(self.user_manager.has_group("g2p_spar_fa_base.group_fa_admin"))

    def test_user_without_fa_group_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.FA.with_user(self.user_plain).search([])
        with self.assertRaises(AccessError):
            self.fa.with_user(self.user_plain).read(["fa_masked"])
        partner = self.registrant.with_user(self.user_plain)
        for fname in ("payment_fa_id", "payment_fa_ids"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                partner.read([fname])
        self.assertEqual(
            partner.read(["spar_id"])[0]["spar_id"], self.registrant.spar_id
        )
        self.assertNotIn("payment_fa_id", partner.fields_get())

    def test_viewer_reads_masked_values_only(self):
        fa = self.fa.with_user(self.user_viewer)
        self.assertEqual(fa.read(["fa_masked"])[0]["fa_masked"], "phone:*****678")
        for fname in RAW_FIELDS:
            with self.subTest(field=fname), self.assertRaises(AccessError):
                fa.read([fname])
        partner = self.registrant.with_user(self.user_viewer)
        self.assertEqual(partner.payment_fa_id.display_name, "phone:*****678")
        self.assertEqual(partner.payment_fa_ids, self.fa)
        arch = fa.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="fa_masked"', arch)
        self.assertNotIn('name="payment_msisdn"', arch)

    def test_viewer_cannot_record_or_remove(self):
        with self.assertRaises(AccessError):
            self.FA.with_user(self.user_viewer).create(
                {
                    "partner_id": self.registrant.id,
                    "kind": "email",
                    "payment_email": "jane@example.org",
                }
            )
        with self.assertRaises(AccessError):
            self.fa.with_user(self.user_viewer).action_remove()
        self.assertTrue(self.fa.active)

    def test_manager_records_and_reads_raw_values(self):
        fa_model = self.FA.with_user(self.user_manager)
        fa = fa_model.create(
            {
                "partner_id": self.registrant.id,
                "kind": "email",
                "payment_email": "jane@example.org",
            }
        )
        self.assertEqual(fa.payment_email, "jane@example.org")
        self.assertEqual(fa.fa_string, "email:jane@example.org")
        self.assertFalse(self.fa.active)
        self.assertEqual(
            self.fa.with_user(self.user_manager).payment_msisdn, "+254712345678"
        )
        fa.action_remove()
        self.assertFalse(fa.active)
        with self.assertRaises(AccessError):
            fa.unlink()

    def test_payment_tab_only_for_fa_groups(self):
        def partner_form(user):
            views = self.env["res.partner"].with_user(user).get_views([(False, "form")])
            return views["views"]["form"]["arch"]

        self.assertNotIn('name="g2p_payment_fa"', partner_form(self.user_plain))
        viewer_form = partner_form(self.user_viewer)
        self.assertIn('name="g2p_payment_fa"', viewer_form)
        # The buttons that change FAs (whatever a UI addon makes of them).
        actions = 'name="g2p_payment_fa_manager_actions"'
        self.assertNotIn(actions, viewer_form)
        self.assertIn(actions, partner_form(self.user_manager))
