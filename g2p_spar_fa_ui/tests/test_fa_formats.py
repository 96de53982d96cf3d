# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import Form, tagged

from odoo.addons.g2p_spar_fa_base.lib.fa_presets import PRESET_OPENG2P
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import FaUiCommon


@tagged("post_install", "-at_install")
class TestFaFormatScreens(FaUiCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["g2p.wallet.provider"].create(
            {"name": "Test Wallet", "code": "T-WALLET", "kind": "mobile"}
        )
        cls.bank.bank_code = "37040044"
        cls.branch = cls.env["g2p.bank.branch"].create(
            {"name": "Köln", "code": "370", "bank_id": cls.bank.id}
        )

    def _wizard(self, partner):
        action = partner.with_user(self.ui_manager).action_amend_payment_fa()
        model = self.env[action["res_model"]].with_user(self.ui_manager)
        form = Form(model.with_context(**action["context"]))
        form.reason = "New wallet"
        form.request_ref = "REQ-7"
        return form

    def test_settings_switch_the_format_and_resend_every_fa(self):
        partner = self._registrant()
        old = self._mobile_fa(
            partner, "0712345678", wallet_provider_id=self.provider.id
        )
        self.assertEqual(old.fa_string, "phone:+254712345678")
        settings = self.env["res.config.settings"].create(
            {"g2p_spar_fa_fa_preset": PRESET_OPENG2P}
        )
        with trap_jobs() as trap:
            action = settings.action_resend_fas()
        self.assertTrue(trap.calls)
        run = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(run._name, "g2p.spar.fa.resend")
        self.assertEqual(run.name, "OpenG2P strategies")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("g2p_spar_fa.fa_preset"),
            PRESET_OPENG2P,
        )
        for call in trap.calls:  # what the job runner does
            call.method(*call.args, **call.kwargs)
        self.assertEqual(run.state, "done")
        self.assertEqual(
            partner.payment_fa_id.fa_string,
            "mobile_number:+254712345678.wallet_provider_name:Test Wallet"
            ".wallet_provider_code:T-WALLET.fa_type:MOBILE_WALLET",
        )
        self.assertEqual(
            partner.payment_fa_id.change_reason,
            "Re-sent in the format OpenG2P strategies",
        )
        self.assertEqual(self._last_row(partner).channel, "format")

    def test_amendment_wizard_picks_provider_and_branch(self):
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa.fa_preset", PRESET_OPENG2P
        )
        partner = self._registrant()
        form = self._wizard(partner)
        form.kind = "mobile"
        form.payment_msisdn = "0712 345 678"
        form.wallet_provider_id = self.provider
        form.save().action_confirm()
        self.assertEqual(
            partner.payment_fa_id.fa_string,
            "mobile_number:+254712345678.wallet_provider_name:Test Wallet"
            ".wallet_provider_code:T-WALLET.fa_type:MOBILE_WALLET",
        )
        form = self._wizard(partner)
        form.kind = "bank"
        form.account_number = "1234567"
        form.bank_id = self.bank
        form.branch_id = self.branch
        form.save().action_confirm()
        self.assertEqual(
            partner.payment_fa_id.fa_string,
            "account_number:1234567.branch_code:370.bank_code:37040044"
            ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT",
        )
