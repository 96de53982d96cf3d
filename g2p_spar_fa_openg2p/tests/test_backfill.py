# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .bank_common import BAD_ACCOUNT, IBAN, BankAccountCommon


@tagged("post_install", "-at_install")
class TestBackfill(BankAccountCommon):
    """Existing bank accounts become payment FAs once, in SPAR."""

    def setUp(self):
        super().setUp()
        # Only this test's registrants have accounts or phone numbers.
        self.env["res.partner.bank"].search([]).unlink()
        self.env["g2p.phone.number"].search([]).unlink()
        self.iban_holder = self._registrant("IBAN holder")
        self._account(self.iban_holder, IBAN)
        self.bad_account = self._registrant("Bad account")
        self._account(self.bad_account, BAD_ACCOUNT)
        self.no_bic = [self._registrant(f"No BIC {i}") for i in range(2)]
        for partner in self.no_bic:
            self._account(partner, "1234567", bank=self.bank_without_bic)
        self.has_it = self._registrant("Has it")
        self._account(self.has_it, "1234567")
        self._create_bank_fa(self.has_it)
        self.has_wallet = self._registrant("Has a wallet")
        self._account(self.has_wallet, "7654321")
        self.wallet = self._mobile_fa(self.has_wallet, "+254712345678")
        self.phone_only = self._registrant("Phone only")
        self.env["g2p.phone.number"].create(
            {"partner_id": self.phone_only.id, "phone_no": "+254722000111"}
        )

    def _preview(self, **vals):
        wizard = (
            self.env["g2p.payment.fa.backfill.wizard"]
            .with_user(self.user_admin)
            .create(vals)
        )
        wizard.action_preview()
        return wizard

    def test_preview_counts_and_groups_the_invalid_by_reason(self):
        wizard = self._preview(source="bank")
        self.assertEqual(wizard.registrant_count, 6)
        self.assertEqual(wizard.create_count, 1)
        self.assertEqual(wizard.skipped_count, 2)
        self.assertIn("1 × already has this payment FA", wizard.skipped_summary)
        self.assertIn("1 × has another payment FA (kept)", wizard.skipped_summary)
        self.assertEqual(wizard.invalid_count, 3)
        self.assertIn("2 × BIC: is missing", wizard.invalid_summary)
        self.assertIn("1 × Account Number: may only contain", wizard.invalid_summary)
        # The reasons quote no account number.
        self.assertNotIn("12#34", wizard.invalid_summary)
        self.assertFalse(self.iban_holder.payment_fa_id, "a preview writes nothing")

    def test_backfill_reaches_spar_and_a_second_run_adds_nothing(self):
        run = self._backfill(chunk_size=2)
        self.assertEqual((run.state, run.progress), ("done", 100.0))
        self.assertEqual(len(run.chunk_ids), 3)
        self.assertEqual((run.created_count, run.invalid_count), (1, 3))
        fa = self.iban_holder.payment_fa_id
        self.assertEqual(fa.sudo().iban, IBAN)
        self.assertEqual(self._rows(self.iban_holder).mapped("channel"), ["backfill"])
        self.assertEqual(self.has_wallet.payment_fa_id, self.wallet)
        self.assertFalse(self.bad_account.payment_fa_id)
        self.drain()
        self.assertEqual(self.spar_fa(self.iban_holder), fa.sudo().fa_string)
        rows = self.Outbox.search_count([])
        again = self._backfill()
        self.assertEqual(again.created_count, 0)
        self.assertEqual(again.skipped_count, 3)
        self.assertEqual(self.Outbox.search_count([]), rows)
        self.assertEqual(self.iban_holder.payment_fa_id, fa)

    def test_replace_other_and_phone_numbers_on_choice(self):
        run = self._backfill(source="bank_then_phone", replace_other=True)
        self.assertEqual(run.created_count, 3)
        self.assertEqual(self.has_wallet.payment_fa_id.kind, "bank")
        phone_fa = self.phone_only.payment_fa_id
        self.assertEqual(phone_fa.kind, "mobile")
        self.assertEqual(phone_fa.sudo().payment_msisdn, "+254722000111")
        self.drain()
        self.assertEqual(self.spar_fa(self.phone_only), "phone:+254722000111")

    def test_only_fa_administrators_run_a_backfill(self):
        with self.assertRaises(AccessError):
            self.Backfill.with_user(self.user_manager)._start("bank")
