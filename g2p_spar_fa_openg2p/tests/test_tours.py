# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import OpenG2PHttpCase


@tagged("post_install", "-at_install")
class TestTours(OpenG2PHttpCase):
    """g2p_spar_fa_ui's Payment tab tours, on OpenG2P's Individual form."""

    def test_payment_tab_on_the_individual_form(self):
        partner = self._individual("Lulu OpenG2P Individual", self._nid())
        url = (
            "/web#action=g2p_registry_individual.action_individuals_list"
            f"&id={partner.id}&model=res.partner&view_type=form"
        )
        self.start_tour(url, "g2p_spar_fa_ui_amendment", login="admin")
        self.assertEqual(self._last_row(partner).channel, "backend")
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712000111")
        with self.screenshot("openg2p_payment_tab"):
            self.start_tour(url, "g2p_spar_fa_ui_payment_tab", login="admin")
