# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_base.lib.fa_presets import PRESET_OPENG2P
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SparSyncCommon

# G2P Bridge's deconstruct patterns, verbatim (OpenG2P's published defaults).
PATTERNS = {
    "BANK_ACCOUNT": r"^account_number:(?P<account_number>.*)\.branch_code:(?P<branch_code>.*)\.bank_code:(?P<bank_code>.*)\.mobile_number:(?P<mobile_number>.*)\.email_address:(?P<email_address>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
    "MOBILE_WALLET": r"^mobile_number:(?P<mobile_number>.*)\.wallet_provider_name:(?P<wallet_provider_name>.*)\.wallet_provider_code:(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
    "EMAIL_WALLET": r"^email_address:(?P<email_address>.*)\.wallet_provider_name:(?P<wallet_provider_name>.*)\.wallet_provider_code:(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
}


def deconstruct(fa):
    """What G2P Bridge extracts from an FA SPAR resolves."""
    for fa_type, pattern in PATTERNS.items():
        if fa and fa.endswith(fa_type):
            match = re.match(pattern, fa)
            return match.groupdict() if match else {}
    return {}


@tagged("post_install", "-at_install")
class TestFaResend(SparSyncCommon):
    """Switching the FA format on a live system, against the real SPAR."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bank.bank_code = "37040044"
        cls.mpesa = cls.env["g2p.wallet.provider"].create(
            {"name": "M-Pesa Test", "code": "T-MPESA", "kind": "mobile"}
        )
        cls.paypal = cls.env["g2p.wallet.provider"].create(
            {"name": "PayPal Test", "code": "T-PAYPAL", "kind": "email"}
        )

    def _start(self):
        """Start a run as an FA administrator; returns it and the calls of
        the chunk jobs it enqueued (trapped, not run)."""
        with trap_jobs() as trap:
            run = self.env["g2p.spar.fa.resend"]._start()
        return run, trap.calls

    @staticmethod
    def _run_jobs(run, calls):
        """What the job runner does with the chunk jobs."""
        for call in calls:
            call.method(*call.args, **call.kwargs)

    def _row_count(self, partners):
        return self.Outbox.search_count([("partner_id", "in", partners.ids)])

    def _registrants_in_short_format(self):
        bank, mobile, email = (self._registrant(n) for n in ("Bank", "Mobile", "Mail"))
        self._create_bank_fa(bank, holder_name="Bank Holder")
        self._mobile_fa(mobile, "0712345678", wallet_provider_id=self.mpesa.id)
        self._create_fa(
            email,
            kind="email",
            payment_email="jane@example.org",
            provider_code="T-PAYPAL",
        )
        self.drain()
        return bank, mobile, email

    def test_resend_moves_every_fa_in_spar_to_the_new_format(self):
        bank, mobile, email = self._registrants_in_short_format()
        self.assertEqual(self.spar_fa(mobile), "phone:+254712345678")
        old = (bank | mobile | email).payment_fa_id
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_preset", PRESET_OPENG2P
        )
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.strategy_id_mobile", "3")
        run, calls = self._start()
        self.assertEqual(run.state, "running")
        self.assertEqual(run.progress, 0)
        self.assertTrue(calls)
        self._run_jobs(run, calls)
        self.assertRecordValues(
            run, [{"state": "done", "processed_count": run.total_count}]
        )
        self.assertEqual(run.progress, 100)
        self.assertGreaterEqual(run.resent_count, 3)
        # History: the old FAs archived, one new FA and one row each.
        self.assertFalse(any(old.mapped("active")))
        for partner in bank | mobile | email:
            self.assertEqual(len(self._rows(partner)), 2)
            self.assertEqual(self._rows(partner)[-1].channel, "format")
        self.drain()
        self.assertEqual(
            deconstruct(self.spar_fa(bank)),
            {
                "account_number": "1234567",
                "branch_code": "",
                "bank_code": "37040044",
                "mobile_number": "",
                "email_address": "",
                "fa_type": "BANK_ACCOUNT",
            },
        )
        self.assertEqual(
            deconstruct(self.spar_fa(mobile)),
            {
                "mobile_number": "+254712345678",
                "wallet_provider_name": "M-Pesa Test",
                "wallet_provider_code": "T-MPESA",
                "fa_type": "MOBILE_WALLET",
            },
        )
        self.assertEqual(
            deconstruct(self.spar_fa(email)),
            {
                "email_address": "jane@example.org",
                "wallet_provider_name": "PayPal Test",
                "wallet_provider_code": "T-PAYPAL",
                "fa_type": "EMAIL_WALLET",
            },
        )
        # SPAR holds the strategy of the mobile format beside kind and digest.
        info = self.spar_table_row(mobile)["additional_info"]
        self.assertEqual(info[0]["fa_kind"], "mobile")
        self.assertIn("details_digest", info[0])
        self.assertEqual(info[1:], [{"strategy_id": 3}])
        self.assertEqual(len(self.spar_table_row(bank)["additional_info"]), 1)
        self.assertEqual(
            set(
                self.Outbox.search(
                    [("partner_id", "in", (bank | mobile | email).ids)]
                ).mapped("verification")
            ),
            {"verified"},
        )

    def test_running_twice_adds_no_duplicate_rows(self):
        bank, mobile, email = self._registrants_in_short_format()
        partners = bank | mobile | email
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_preset", PRESET_OPENG2P
        )
        run, calls = self._start()
        again, second_calls = self._start()
        self.assertEqual(again, run)
        self.assertFalse(second_calls)
        self._run_jobs(run, calls)
        self.assertEqual(run.state, "done")
        rows = self._row_count(partners)
        self.assertEqual(rows, 6)
        # Finished: a new run only re-sends what the format changes, nothing.
        third, third_calls = self._start()
        self.assertNotEqual(third, run)
        self._run_jobs(third, third_calls)
        self.assertEqual(third.state, "done")
        self.assertEqual(third.resent_count, 0)
        self.assertEqual(self._row_count(partners), rows)

    def test_only_fa_administrators_start_a_resend(self):
        for user in (self.user_viewer, self.user_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["g2p.spar.fa.resend"].with_user(user)._start()
