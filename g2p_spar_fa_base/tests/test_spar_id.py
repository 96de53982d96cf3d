# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import psycopg2

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import PaymentFaCommon


@tagged("post_install", "-at_install")
class TestSparId(PaymentFaCommon):
    def test_registrant_gets_reference_and_spar_id(self):
        registrant = self._create_registrant()
        self.assertRegex(registrant.registrant_ref, r"^REG\d{7}$")
        self.assertEqual(
            registrant.spar_id, f"token:{registrant.registrant_ref}@REGISTRY_ID"
        )

    def test_given_reference_is_kept(self):
        registrant = self._create_registrant(registrant_ref="NID-42")
        self.assertEqual(registrant.spar_id, "token:NID-42@REGISTRY_ID")

    def test_contacts_have_no_spar_id_until_they_become_registrants(self):
        contact = self.env["res.partner"].create({"name": "Contact"})
        self.assertFalse(contact.registrant_ref)
        self.assertFalse(contact.spar_id)
        contact.is_registrant = True
        self.assertRegex(contact.registrant_ref, r"^REG\d{7}$")
        self.assertTrue(contact.spar_id.startswith("token:REG"))

    def test_copy_gets_a_new_reference(self):
        registrant = self._create_registrant()
        duplicate = registrant.copy()
        self.assertNotEqual(duplicate.registrant_ref, registrant.registrant_ref)
        self.assertNotEqual(duplicate.spar_id, registrant.spar_id)

    def test_two_registrants_cannot_share_a_spar_id(self):
        self._create_registrant("Anna Becker", registrant_ref="R1")
        with self.assertRaisesRegex(ValidationError, "Anna Becker.*Jonas Weber.*R1"):
            self._create_registrant("Jonas Weber", registrant_ref="R1")
        jonas = self._create_registrant("Jonas Weber", registrant_ref="R2")
        with self.assertRaisesRegex(ValidationError, "Anna Becker.*Jonas Weber"):
            jonas.registrant_ref = "R1"
        with self.assertRaisesRegex(ValidationError, "share the SPAR ID"):
            self.env["res.partner"].create(
                [
                    {"name": "Twin A", "is_registrant": True, "registrant_ref": "R3"},
                    {"name": "Twin B", "is_registrant": True, "registrant_ref": "R3"},
                ]
            )

    def test_database_rejects_duplicate_spar_id(self):
        first = self._create_registrant(registrant_ref="R1")
        second = self._create_registrant(registrant_ref="R2")
        self.env.flush_all()
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute("SET CONSTRAINTS res_partner_spar_id_unique IMMEDIATE")
            self.env.cr.execute(
                "UPDATE res_partner SET spar_id = %s WHERE id = %s",
                [first.spar_id, second.id],
            )

    def test_recompute_follows_changed_format(self):
        registrant = self._create_registrant(registrant_ref="R1")
        params = self.env["ir.config_parameter"]
        params.set_param("g2p_spar_fa.id_format", "{id_type}/{id}")
        params.set_param("g2p_spar_fa.id_type", "NATIONAL_ID")
        self.env["res.partner"]._recompute_spar_ids()
        self.assertEqual(registrant.spar_id, "NATIONAL_ID/R1")
        self.env.invalidate_all()
        self.assertEqual(registrant.spar_id, "NATIONAL_ID/R1")

    def test_recompute_refuses_format_that_merges_registrants(self):
        self._create_registrant("Anna Becker")
        self._create_registrant("Jonas Weber")
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.id_format", "{id_type}")
        with self.assertRaisesRegex(ValidationError, "share the SPAR ID REGISTRY_ID"):
            self.env["res.partner"]._recompute_spar_ids()

    def test_registrant_id_is_stripped_before_it_becomes_a_spar_id(self):
        anna = self._create_registrant("Anna Becker", registrant_ref=" R1\n")
        self.assertEqual(anna.registrant_ref, "R1")
        self.assertEqual(anna.spar_id, "token:R1@REGISTRY_ID")
        with self.assertRaisesRegex(ValidationError, "Anna Becker.*Jonas Weber.*R1"):
            self._create_registrant("Jonas Weber", registrant_ref="R1 ")
        jonas = self._create_registrant("Jonas Weber", registrant_ref="R2")
        with self.assertRaisesRegex(ValidationError, "Anna Becker.*Jonas Weber"):
            jonas.registrant_ref = " R1"
        jonas.registrant_ref = "\tR3 "
        self.assertEqual(jonas.spar_id, "token:R3@REGISTRY_ID")
        blank = self._create_registrant("Blank", registrant_ref="   ")
        self.assertRegex(blank.registrant_ref, r"^REG\d{7}$")

    def test_control_characters_in_registrant_id_and_name_are_refused(self):
        registrant = self._create_registrant("Anna Becker", registrant_ref="R1")
        cases = [
            ("Registrant ID", {"registrant_ref": "R\x001"}),
            ("Registrant ID", {"registrant_ref": "R\x1b1"}),
            ("Name", {"name": "Anna\x00Becker"}),
            ("Name", {"name": "Anna\x07"}),
            ("Name", {"name": "Anna\udc00"}),
        ]
        pattern = "^{}: contains the (control character|unpaired surrogate) U\\+"
        for label, vals in cases:
            with self.subTest(vals=vals):
                with self.assertRaisesRegex(ValidationError, pattern.format(label)):
                    self._create_registrant(**{"name": "Jonas Weber", **vals})
                with self.assertRaisesRegex(ValidationError, pattern.format(label)):
                    registrant.write(vals)
        self.assertEqual(registrant.name, "Anna Becker")
        self.assertEqual(registrant.spar_id, "token:R1@REGISTRY_ID")
        contact = self.env["res.partner"].create({"name": "Tab\tSeparated Ltd"})
        self.assertEqual(contact.name, "Tab\tSeparated Ltd")

    def test_registrant_id_making_an_overlong_spar_id_is_refused(self):
        registrant = self._create_registrant(registrant_ref="R" * 237)
        self.assertEqual(len(registrant.spar_id), 255)
        with self.assertRaisesRegex(
            ValidationError,
            "^Registrant ID: makes a SPAR ID of 256 characters; at most 255",
        ):
            self._create_registrant(registrant_ref="R" * 238)
