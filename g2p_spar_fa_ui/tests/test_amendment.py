# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import FaUiCommon


@tagged("post_install", "-at_install")
class TestAmendmentWizard(FaUiCommon):
    def _form(self, action):
        """The wizard as the button opened it for an FA manager."""
        model = self.env[action["res_model"]].with_user(self.ui_manager)
        return Form(model.with_context(**action["context"]))

    def _wizard(self, partner):
        return self._form(partner.with_user(self.ui_manager).action_amend_payment_fa())

    def test_change_records_fa_and_row_with_reason_and_request(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        form = self._wizard(partner)
        form.kind = "mobile"
        form.payment_msisdn = "0712 345 678"
        form.reason = "Lost bank account"
        form.request_ref = "REQ-42"
        form.save().action_confirm()

        fa = partner.payment_fa_id
        self.assertRecordValues(
            fa,
            [
                {
                    "fa_string": "phone:+254712345678",
                    "change_reason": "Lost bank account",
                    "request_ref": "REQ-42",
                    "channel": "backend",
                    "create_uid": self.ui_manager.id,
                }
            ],
        )
        row = self._last_row(partner)
        self.assertRecordValues(
            row,
            [
                {
                    "fa": "phone:+254712345678",
                    "change_reason": "Lost bank account",
                    "request_ref": "REQ-42",
                    "channel": "backend",
                    "user_id": self.ui_manager.id,
                    "state": "pending",
                }
            ],
        )

    def test_invalid_value_is_refused_naming_the_field_and_changes_nothing(self):
        partner = self._registrant()
        current = self._create_bank_fa(partner)
        rows_before = self._rows(partner)
        form = self._wizard(partner)
        form.kind = "mobile"
        form.payment_msisdn = "12345"
        form.reason = "New wallet"
        form.request_ref = "REQ-43"
        wizard = form.save()
        with self.assertRaisesRegex(ValidationError, "Payment Mobile Number: .*12345"):
            wizard.action_confirm()
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows_before)

    def test_reason_and_request_reference_are_required(self):
        form = self._wizard(self._registrant())
        form.kind = "mobile"
        form.payment_msisdn = "0712345678"
        with self.assertRaisesRegex(AssertionError, "reason"):
            form.save()

    def test_removal_writes_an_unlink_row_with_the_reason(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        form = self._form(
            partner.with_user(self.ui_manager).action_amend_remove_payment_fa()
        )
        self.assertEqual(form.action, "remove")
        form.reason = "Beneficiary deceased"
        form.request_ref = "DEATH-7"
        form.save().action_confirm()
        self.assertFalse(partner.payment_fa_id)
        self.assertRecordValues(
            self._last_row(partner),
            [{"operation": "unlink", "change_reason": "Beneficiary deceased"}],
        )

    def test_fields_of_other_kinds_typed_before_switching_are_ignored(self):
        partner = self._registrant()
        form = self._wizard(partner)
        form.account_number = "99999"
        form.kind = "mobile"
        form.payment_msisdn = "0712345678"
        form.reason = "First address"
        form.request_ref = "REQ-44"
        form.save().action_confirm()
        self.assertEqual(partner.payment_fa_id.fa_string, "phone:+254712345678")

    def test_history_cannot_be_rewritten(self):
        partner = self._registrant()
        fa = self._create_bank_fa(partner)
        with self.assertRaises(UserError):
            fa.write({"change_reason": "something else"})

    def test_viewers_cannot_amend(self):
        partner = self._registrant()
        with self.assertRaises(AccessError):
            self.env["g2p.fa.amendment"].with_user(self.ui_viewer).create(
                {"partner_id": partner.id, "reason": "x", "request_ref": "y"}
            )
