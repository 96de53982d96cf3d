# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import FaUiHttpCase


@tagged("post_install", "-at_install")
class TestRegistrationPortal(FaUiHttpCase):
    def _own(self, enumerator, name):
        partner = self._registrant(name)
        partner.fa_enumerator_user_id = enumerator
        return partner

    def test_enumerator_sees_and_edits_only_own_registrants(self):
        mine = self._own(self.enumerator, "Mine Registrant")
        theirs = self._own(self.other_enumerator, "Theirs Registrant")
        self.authenticate("enumerator", "enumerator")
        listing = self.url_open("/my/registrants")
        self.assertIn("Mine Registrant", listing.text)
        self.assertNotIn("Theirs Registrant", listing.text)
        self.assertEqual(self.url_open(f"/my/registrants/{mine.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/registrants/{theirs.id}").status_code, 404)
        token = self.csrf_token(f"/my/registrants/{mine.id}")
        response = self.url_open(
            f"/my/registrants/{theirs.id}",
            data={
                "csrf_token": token,
                "name": "Hijacked",
                "kind": "mobile",
                "payment_msisdn": "0712340401",
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(theirs.name, "Theirs Registrant")
        self.assertFalse(theirs.payment_fa_id)

    def test_portal_users_who_are_not_enumerators_are_turned_away(self):
        self.authenticate("portal_plain", "portal_plain")
        self.assertEqual(self.url_open("/my/registrants").status_code, 404)
        self.assertEqual(self.url_open("/my/registrants/new").status_code, 404)

    def test_submission_writes_fa_and_row_on_the_portal_channel(self):
        partner = self._own(self.enumerator, "Edited Registrant")
        self.authenticate("enumerator", "enumerator")
        token = self.csrf_token(f"/my/registrants/{partner.id}")
        form = {
            "csrf_token": token,
            "name": "Edited Registrant",
            "phone": "+254 700 000 002",
            "kind": "bank",
            "account_number": "12 34 56 78",
            "bank_id": str(self.bank.id),
            "payment_msisdn": "ignored for a bank",
        }
        response = self.url_open(f"/my/registrants/{partner.id}", data=form)
        self.assertIn("Saved.", response.text)
        self.assertEqual(partner.phone, "+254 700 000 002")
        self.assertRecordValues(
            partner.payment_fa_id,
            [{"fa_string": "account_no:12345678@COBADEFFXXX", "channel": "portal"}],
        )
        self.assertRecordValues(
            self._last_row(partner),
            [{"channel": "portal", "user_id": self.enumerator.id}],
        )

    def test_errors_are_shown_next_to_the_field_and_nothing_is_saved(self):
        self.authenticate("enumerator", "enumerator")
        token = self.csrf_token("/my/registrants/new")
        response = self.url_open(
            "/my/registrants/new",
            data={
                "csrf_token": token,
                "name": "Never Saved",
                "kind": "email",
                "payment_email": "not-an-address",
            },
        )
        self.assertIn('data-field="payment_email"', response.text)
        self.assertIn("not a valid e-mail address", response.text)
        self.assertIn('value="Never Saved"', response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Never Saved")]))

    def _post_form(self, partner, **fields):
        """Post the registrant form as the enumerator's browser would."""
        url = f"/my/registrants/{partner.id}" if partner else "/my/registrants/new"
        token = self.csrf_token(url)
        return self.url_open(url, data=dict(fields, csrf_token=token))

    def test_tampered_bank_is_refused_next_to_the_field(self):
        partner = self._own(self.enumerator, "Bank Tamper")
        current = self._mobile_fa(partner, "+254712340601")
        rows = self._rows(partner)
        self.authenticate("enumerator", "enumerator")
        for bank in ["abc", "999999", "-1", "99999999999999999999"]:
            response = self._post_form(
                partner,
                name="Bank Tamper Renamed",
                kind="bank",
                account_number="12345678",
                bank_id=bank,
            )
            self.assertEqual(response.status_code, 200, bank)
            self.assertIn('data-field="bank_id"', response.text, bank)
            self.assertIn("choose one of the offered values", response.text, bank)
            self.assertNotIn("res.bank(", response.text, bank)
            self.assertIn('value="Bank Tamper Renamed"', response.text, bank)
        self.assertEqual(partner.name, "Bank Tamper")
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows)

    def test_control_characters_are_refused_next_to_the_field(self):
        partner = self._own(self.enumerator, "Nul Bytes")
        current = self._mobile_fa(partner, "+254712340602")
        rows = self._rows(partner)
        self.authenticate("enumerator", "enumerator")
        for field, value in [
            ("name", "Nul\x00Bytes"),
            ("holder_name", "Holder\x00"),
            ("account_number", "1234\x005678"),
            ("phone", "+254 700\x1b 000"),
        ]:
            form = {
                "name": "Nul Bytes",
                "kind": "bank",
                "account_number": "12345678",
                "bank_id": str(self.bank.id),
                field: value,
            }
            response = self._post_form(partner, **form)
            self.assertEqual(response.status_code, 200, field)
            self.assertIn(f'data-field="{field}"', response.text, field)
            self.assertIn("must not contain control characters", response.text)
        response = self._post_form(None, name="N" * 300)
        self.assertEqual(response.status_code, 200)
        self.assertIn('data-field="name"', response.text)
        self.assertIn("at most 256 characters", response.text)
        self.assertEqual(partner.name, "Nul Bytes")
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows)
        self.assertFalse(
            self.env["res.partner"].search([("name", "=like", "NNNN%")]), "created"
        )

    def test_archived_registrant_cannot_be_changed_by_url(self):
        partner = self._own(self.enumerator, "Archived Registrant")
        self.authenticate("enumerator", "enumerator")
        token = self.csrf_token(f"/my/registrants/{partner.id}")
        partner.action_archive()
        rows = self._rows(partner)
        url = f"/my/registrants/{partner.id}"
        self.assertEqual(self.url_open(url).status_code, 404)
        response = self.url_open(
            url,
            data={
                "csrf_token": token,
                "name": "Revived",
                "kind": "mobile",
                "payment_msisdn": "0712340603",
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(partner.name, "Archived Registrant")
        self.assertFalse(partner.with_context(active_test=False).payment_fa_ids)
        self.assertEqual(self._rows(partner), rows)

    def test_rename_is_recorded_on_the_portal_channel(self):
        partner = self._own(self.enumerator, "Before Rename")
        self._mobile_fa(partner, "+254712340604")
        self.authenticate("enumerator", "enumerator")
        response = self._post_form(partner, name="After Rename")
        self.assertIn("Saved.", response.text)
        self.assertRecordValues(
            self._last_row(partner),
            [
                {
                    "name": "After Rename",
                    "channel": "portal",
                    "user_id": self.enumerator.id,
                }
            ],
        )
