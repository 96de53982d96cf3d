# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import FaUiHttpCase


@tagged("post_install", "-at_install")
class TestTours(FaUiHttpCase):
    """The three flows in a browser, each ending with the FA in real SPAR."""

    def _form_url(self, partner):
        return f"/web#id={partner.id}&model=res.partner&view_type=form"

    def test_admin_amends_the_payment_address(self):
        partner = self._registrant("Tour Amendment Registrant")
        self.start_tour(
            self._form_url(partner), "g2p_spar_fa_ui_amendment", login="admin"
        )
        self.assertRecordValues(
            self._last_row(partner),
            [
                {
                    "channel": "backend",
                    "change_reason": "New mobile wallet",
                    "request_ref": "REQ-2024-001",
                }
            ],
        )
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712000111")
        with self.screenshot("payment_tab"):
            self.start_tour(
                self._form_url(partner), "g2p_spar_fa_ui_payment_tab", login="admin"
            )

    def test_manager_retries_a_failed_row(self):
        partner = self._registrant("Retry Tour Registrant")
        fa = self._mobile_fa(partner, "+254712000333")
        self._fail_head(partner, "rejected by SPAR (rjct.fa.invalid)")
        self.start_tour(
            "/web#action=g2p_spar_fa_ui.action_spar_outbox",
            "g2p_spar_fa_ui_outbox_retry",
            login="ui_manager",
        )
        self.drain()
        self.assertEqual(self.spar_fa(partner), fa.fa_string)
        self.assertEqual(self._last_row(partner).state, "done")
        with self.screenshot("outbox_monitor"):
            self.start_tour(
                "/web#action=g2p_spar_fa_ui.action_spar_outbox",
                "g2p_spar_fa_ui_outbox_sent",
                login="ui_manager",
            )

    def test_enumerator_registers_a_beneficiary_in_the_portal(self):
        self.start_tour(
            "/my/registrants/new",
            "g2p_spar_fa_ui_portal_registration",
            login="enumerator",
        )
        partner = self.env["res.partner"].search([("name", "=", "Amina Portal Tour")])
        self.assertRecordValues(
            partner,
            [
                {
                    "fa_enumerator_user_id": self.enumerator.id,
                    "phone": "+254 700 000 001",
                }
            ],
        )
        self.assertEqual(self._last_row(partner).channel, "portal")
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712000222")
        with self.screenshot("portal_form"):
            self.start_tour(
                f"/my/registrants/{partner.id}",
                "g2p_spar_fa_ui_portal_verified",
                login="enumerator",
            )
