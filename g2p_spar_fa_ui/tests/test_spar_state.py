# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import socket

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_sync.lib import spar_protocol

from .common import FaUiCommon


@tagged("post_install", "-at_install")
class TestSparState(FaUiCommon):
    """The badge of the Payment tab and the readiness list, against real SPAR."""

    def _state(self, partner):
        partner.invalidate_recordset(["spar_state", "spar_state_note"])
        return partner.with_user(self.ui_viewer).spar_state

    def test_states_follow_the_outbox(self):
        partner = self._registrant()
        self.assertEqual(self._state(partner), "not_sent")
        self._mobile_fa(partner, "+254712340101")
        self.assertEqual(self._state(partner), "pending")
        self.drain()
        self.assertEqual(self._state(partner), "verified")
        self._mobile_fa(partner, "+254712340102")
        self._fail_head(partner)
        self.assertEqual(self._state(partner), "failed")
        self.assertIn(
            "rjct.fa.invalid", partner.with_user(self.ui_viewer).spar_state_note
        )
        self._last_row(partner).action_cancel()
        partner.payment_fa_id.action_remove()
        self.drain()
        self.assertEqual(self._state(partner), "removed")

    def test_mismatch_and_reconciliation_drift(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340111")
        self.drain()
        self._found_in_spar(self._last_row(partner), "mismatch")
        self.assertEqual(self._state(partner), "drift")

        other = self._registrant()
        self._mobile_fa(other, "+254712340112")
        self.drain()
        self._client().unlink([other.spar_id])  # someone removed it in SPAR
        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()
        self.assertIn(other, run.drift_ids.partner_id)
        self.assertEqual(self._state(other), "drift")

    def test_readiness_lists_registrants_without_a_verified_fa(self):
        ready, unsent, bare = self._registrant(), self._registrant(), self._registrant()
        self._mobile_fa(ready, "+254712340121")
        self.drain()
        self._mobile_fa(unsent, "+254712340122")
        selection = ready | unsent | bare
        action = selection.with_user(self.ui_viewer).action_open_payment_readiness()
        listed = (
            self.env["res.partner"].with_user(self.ui_viewer).search(action["domain"])
        )
        self.assertEqual(listed, unsent | bare)
        self.assertEqual(
            bare.with_user(self.ui_viewer).spar_state_note, "No payment address."
        )
        rows = listed.export_data(["name", "spar_state"])["datas"]
        self.assertEqual(len(rows), 2)

    def test_live_check_shows_what_spar_holds(self):
        partner = self._registrant()
        fa = self._mobile_fa(partner, "+254712340131")
        res = partner.with_user(self.ui_viewer).action_check_spar()
        check = self.env[res["res_model"]].browse(res["res_id"])
        self.assertEqual(check.result, "missing")
        self.drain()
        res = partner.with_user(self.ui_manager).action_check_spar()
        check = (
            self.env[res["res_model"]].with_user(self.ui_manager).browse(res["res_id"])
        )
        self.assertRecordValues(
            check,
            [
                {
                    "result": "same",
                    "spar_fa": fa.fa_string,
                    "spar_fa_masked": "phone:*****131",
                }
            ],
        )

    def test_live_check_and_reconciliation_agree_on_stale_details(self):
        partner = self._registrant()
        fa = self._mobile_fa(partner, "+254712340141")
        self.drain()
        # SPAR keeps our FA but another name/phone digest: a stale snapshot.
        self._client().update(
            [
                spar_protocol.FaMapping(
                    "stale",
                    partner.spar_id,
                    fa.fa_string,
                    name="Someone Else",
                    phone_number="+254712340141",
                    additional_info=[{"fa_kind": "mobile", "details_digest": "x"}],
                )
            ]
        )
        res = partner.with_user(self.ui_viewer).action_check_spar()
        check = self.env[res["res_model"]].browse(res["res_id"])
        self.assertEqual(check.result, "details")
        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()
        drift = run.drift_ids.filtered(lambda d: d.partner_id == partner)
        self.assertEqual(drift.kind, check.result)

    def test_live_check_says_when_spar_is_unreachable(self):
        partner = self._registrant()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa_sync.spar_url", f"http://127.0.0.1:{port}"
        )
        with self.assertRaisesRegex(
            UserError, "SPAR could not be asked: .*failed in transit"
        ):
            partner.with_user(self.ui_viewer).action_check_spar()
