# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import xmlrpc.client

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FaUiHttpCase

RAW_PARTNER_FIELDS = [
    "current_fa_string",
    "current_fa_account_number",
    "current_fa_iban",
    "current_fa_payment_msisdn",
    "current_fa_payment_email",
]


@tagged("post_install", "-at_install")
class TestFieldAccess(FaUiHttpCase):
    """Who reads what, through the ORM, export and RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls._create_registrant(
            "Secret Holder", registrant_ref=f"S{cls.run_tag}"
        )
        cls.fa = cls.FA.create(
            {
                "partner_id": cls.partner.id,
                "kind": "mobile",
                "payment_msisdn": "+254712349999",
            }
        )

    def test_user_without_fa_rights_reads_no_value(self):
        partner = self.partner.with_user(self.ui_plain)
        for fname in [
            "payment_fa_id",
            "spar_state",
            "current_fa_masked",
            *RAW_PARTNER_FIELDS,
        ]:
            with self.assertRaises(AccessError, msg=fname):
                partner.read([fname])
        exported = partner.export_data(["name", "current_fa_masked", "spar_state"])
        self.assertEqual(exported["datas"], [["Secret Holder", "", ""]])
        with self.assertRaises(AccessError):
            self.FA.with_user(self.ui_plain).search([])
        with self.assertRaises(AccessError):
            self.Outbox.with_user(self.ui_plain).search([])

    def test_viewer_reads_masked_values_only(self):
        partner = self.partner.with_user(self.ui_viewer)
        self.assertEqual(partner.current_fa_masked, "phone:*****999")
        for fname in RAW_PARTNER_FIELDS:
            with self.assertRaises(AccessError, msg=fname):
                partner.read([fname])
        with self.assertRaises(AccessError):
            partner.export_data(["payment_fa_ids/fa_string"])
        with self.assertRaises(AccessError):
            self.Outbox.with_user(self.ui_viewer).search(
                [("partner_id", "=", self.partner.id)]
            ).read(["fa"])
        with self.assertRaises(AccessError):
            self.FA.with_user(self.ui_viewer).create(
                {
                    "partner_id": self.partner.id,
                    "kind": "mobile",
                    "payment_msisdn": "+254712340000",
                }
            )

    def test_manager_reads_full_values(self):
        partner = self.partner.with_user(self.ui_manager)
        self.assertEqual(partner.current_fa_string, "phone:+254712349999")
        self.assertEqual(partner.current_fa_payment_msisdn, "+254712349999")

    def test_rpc_refuses_values_to_users_without_rights(self):
        def read(user, fields):
            return self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                user.id,
                user.login,
                "res.partner",
                "read",
                [[self.partner.id], fields],
            )

        for user, fields in [
            (self.ui_plain, ["current_fa_masked"]),
            (self.ui_viewer, ["current_fa_string"]),
            (self.ui_viewer, ["current_fa_payment_msisdn"]),
        ]:
            with self.assertRaises(xmlrpc.client.Fault, msg=(user.login, fields)):
                read(user, fields)
        [values] = read(self.ui_viewer, ["current_fa_masked", "spar_state"])
        self.assertEqual(values["current_fa_masked"], "phone:*****999")
        [values] = read(self.ui_manager, ["current_fa_string"])
        self.assertEqual(values["current_fa_string"], "phone:+254712349999")

    def test_enumerators_have_no_backend_access(self):
        with self.assertRaises(AccessError):
            self.partner.with_user(self.enumerator).read(["name"])
        with self.assertRaises(AccessError):
            self.FA.with_user(self.enumerator).search([])
