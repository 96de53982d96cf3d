# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo.tests import tagged

from .common import FaUiHttpCase

SUBMIT = "/g2p_spar_fa/api/v1/fa"
STATE = "/g2p_spar_fa/api/v1/state"


@tagged("post_install", "-at_install")
class TestApiChannel(FaUiHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        apikeys = cls.env["res.users.apikeys"]
        cls.manager_key = apikeys.with_user(cls.ui_manager)._generate(None, "portal")
        cls.viewer_key = apikeys.with_user(cls.ui_viewer)._generate(None, "portal")

    def _post(self, body, key=None):
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self.url_open(SUBMIT, data=json.dumps(body), headers=headers)

    def test_submission_reaches_spar_through_the_outbox(self):
        partner = self._registrant()
        response = self._post(
            {
                "spar_id": partner.spar_id,
                "kind": "mobile",
                "payment_msisdn": "0712 340 301",
                "reason": "Self-service change",
                "request_ref": "SS-1",
            },
            self.manager_key,
        )
        self.assertEqual(response.status_code, 202, response.text)
        body = response.json()
        self.assertEqual(body["fa_masked"], "phone:*****301")
        self.assertEqual(body["spar_state"], "pending")
        self.assertRecordValues(
            self._last_row(partner),
            [
                {
                    "id": body["outbox_id"],
                    "channel": "api",
                    "user_id": self.ui_manager.id,
                    "change_reason": "Self-service change",
                }
            ],
        )
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712340301")

        state = self.url_open(
            f"{STATE}?registrant_ref={partner.registrant_ref}",
            headers={"Authorization": f"Bearer {self.manager_key}"},
        )
        self.assertEqual(state.status_code, 200, state.text)
        self.assertEqual(state.json()["spar_state"], "verified")
        self.assertEqual(state.json()["last_change"]["channel"], "api")

    def test_validation_errors_name_the_field_and_change_nothing(self):
        partner = self._registrant()
        current = self._mobile_fa(partner, "+254712340311")
        rows = self._rows(partner)
        response = self._post(
            {
                "registrant_ref": partner.registrant_ref,
                "kind": "mobile",
                "payment_msisdn": "12",
                "reason": "typo",
            },
            self.manager_key,
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()["fields"]), ["payment_msisdn"])
        response = self._post(
            {"registrant_ref": partner.registrant_ref, "colour": "blue"},
            self.manager_key,
        )
        self.assertEqual(response.json()["fields"], {"colour": "unknown field"})
        response = self._post(
            {"registrant_ref": "NOBODY", "kind": "mobile", "reason": "x"},
            self.manager_key,
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows)

    def test_unauthenticated_and_unauthorised_calls_are_refused(self):
        partner = self._registrant()
        body = {
            "spar_id": partner.spar_id,
            "kind": "mobile",
            "payment_msisdn": "0712340321",
            "reason": "x",
        }
        for key, status in [(None, 401), ("wrong-key", 401), (self.viewer_key, 403)]:
            response = self._post(body, key)
            self.assertEqual(response.status_code, status, key)
            self.assertIn("error", response.json())
        self.assertEqual(
            self.url_open(f"{STATE}?spar_id={partner.spar_id}").status_code, 401
        )
        self.assertFalse(partner.payment_fa_id)
        self.assertFalse(self._rows(partner))

    def test_malformed_values_are_refused_naming_the_field(self):
        partner = self._registrant()
        current = self._mobile_fa(partner, "+254712340701")
        rows = self._rows(partner)
        valid = {
            "registrant_ref": partner.registrant_ref,
            "kind": "bank",
            "account_number": "12345678",
            "bic": "COBADEFFXXX",
            "reason": "Changed bank",
        }
        for change, field in [
            ({"reason": {"text": "Changed bank"}}, "reason"),
            ({"reason": ["Changed bank"]}, "reason"),
            ({"request_ref": 42}, "request_ref"),
            ({"reason": "Changed\x00bank"}, "reason"),
            ({"request_ref": "REQ\x00-1"}, "request_ref"),
            ({"holder_name": "Amina\x00Otieno"}, "holder_name"),
            ({"account_number": "1234\x005678"}, "account_number"),
            ({"reason": "x" * 1001}, "reason"),
            ({"request_ref": "r" * 129}, "request_ref"),
            ({"registrant_ref": 7}, "registrant_ref"),
            ({"kind": None}, "kind"),
        ]:
            response = self._post(dict(valid, **change), self.manager_key)
            self.assertEqual(response.status_code, 400, change)
            self.assertEqual(list(response.json()["fields"]), [field], change)
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows)

    def test_oversized_body_is_refused_before_it_is_read(self):
        partner = self._registrant()
        response = self._post(
            {
                "registrant_ref": partner.registrant_ref,
                "kind": "mobile",
                "payment_msisdn": "0712340702",
                "reason": "r" * 20_000_000,
            },
            self.manager_key,
        )
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json()["error"], "too_large")
        self.assertFalse(partner.payment_fa_id)
        self.assertFalse(self._rows(partner))

    def test_state_refuses_control_characters_in_the_identifier(self):
        response = self.url_open(
            f"{STATE}?spar_id=token%00x",
            headers={"Authorization": f"Bearer {self.manager_key}"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()["fields"]), ["spar_id"])
