# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .bank_common import BAD_ACCOUNT, IBAN, BankAccountCommon


@tagged("post_install", "-at_install")
class TestBankAccountFollow(BankAccountCommon):
    """With "follow bank account changes" on, a registrant's FA follows the
    account that pays them, in SPAR too."""

    def setUp(self):
        super().setUp()
        self._follow()

    def test_new_account_becomes_the_fa_in_spar(self):
        partner = self._registrant()
        self._account(partner, IBAN, acc_holder_name="Amina Odhiambo")
        fa = partner.payment_fa_id
        self.assertEqual(fa.sudo().iban, IBAN)
        self.assertEqual(fa.holder_name, "Amina Odhiambo")
        self.assertEqual(self._rows(partner).mapped("channel"), ["bank_account"])
        self.drain()
        self.assertEqual(self.spar_fa(partner), fa.sudo().fa_string)

    def test_removing_the_account_removes_the_fa_and_unlinks_in_spar(self):
        partner = self._registrant()
        account = self._account(partner, "1234567")
        self.drain()
        self.assertEqual(self.spar_fa(partner), "account_no:1234567@COBADEFFXXX")
        account.unlink()
        self.assertFalse(partner.payment_fa_id)
        self.assertEqual(self._rows(partner)[-1].operation, "unlink")
        self.drain()
        self.assertIsNone(self.spar_fa(partner))

    def test_changed_account_number_replaces_the_fa(self):
        partner = self._registrant()
        account = self._account(partner, "1234567")
        account.acc_number = "7654321"
        self.drain()
        self.assertEqual(self.spar_fa(partner), "account_no:7654321@COBADEFFXXX")
        self.assertEqual(len(partner.sudo().payment_fa_ids), 2)

    def test_invalid_account_is_refused_and_the_fa_kept(self):
        partner = self._registrant()
        account = self._account(partner, "1234567")
        fa = partner.payment_fa_id
        rows = self._rows(partner)
        with (
            self.assertRaisesRegex(ValidationError, "Account Number: .*letters"),
            self.env.cr.savepoint(),
        ):
            account.acc_number = BAD_ACCOUNT
        with (
            self.assertRaisesRegex(ValidationError, "BIC: is missing"),
            self.env.cr.savepoint(),
        ):
            self._account(self._registrant(), "1234567", bank=self.bank_without_bic)
        self.assertEqual(partner.payment_fa_id, fa)
        self.assertEqual(self._rows(partner), rows)

    def test_an_fa_from_another_channel_is_left_alone(self):
        partner = self._registrant()
        wallet = self._mobile_fa(partner, "+254712345678")
        account = self._account(partner, "1234567")
        account.acc_number = "7654321"
        account.unlink()
        self.assertEqual(partner.payment_fa_id, wallet)

    def test_a_second_account_changes_nothing(self):
        partner = self._registrant()
        self._account(partner, "1234567", sequence=1)
        fa = partner.payment_fa_id
        self._account(partner, "7654321", sequence=5).unlink()
        self.assertEqual(partner.payment_fa_id, fa)

    def test_nothing_follows_when_off(self):
        self._follow(False)
        partner = self._registrant()
        self._account(partner, "1234567")
        self.assertFalse(partner.payment_fa_id)
