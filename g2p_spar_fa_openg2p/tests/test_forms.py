# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import ast

from lxml import etree

from odoo.tests import tagged

from .common import OpenG2PCommon

INDIVIDUAL_FORM = "g2p_registry_individual.view_individuals_form"


@tagged("post_install", "-at_install")
class TestForms(OpenG2PCommon):
    def _individual_form(self, user):
        view = self.env.ref(INDIVIDUAL_FORM)
        arch = self.env["res.partner"].with_user(user).get_view(view.id, "form")["arch"]
        return etree.fromstring(arch)

    def test_individual_form_has_the_payment_tab(self):
        arch = self._individual_form(self.ui_manager)
        page = arch.find(".//page[@name='g2p_payment_fa']")
        self.assertIsNotNone(page)
        names = {node.get("name") for node in page.iter("field", "button")}
        self.assertLessEqual(
            {
                "current_fa_masked",
                "spar_state",
                "payment_fa_ids",
                "g2p_spar_outbox_ids",
                "action_check_spar",
                "action_amend_payment_fa",
                "action_amend_remove_payment_fa",
            },
            names,
        )

    def test_viewer_sees_the_tab_without_change_buttons(self):
        page = self._individual_form(self.ui_viewer).find(
            ".//page[@name='g2p_payment_fa']"
        )
        names = {node.get("name") for node in page.iter("field", "button")}
        self.assertIn("current_fa_masked", names)
        self.assertNotIn("action_amend_payment_fa", names)
        self.assertNotIn("current_fa_string", names)

    def test_user_without_fa_role_has_no_payment_tab(self):
        arch = self._individual_form(self.ui_plain)
        self.assertIsNone(arch.find(".//page[@name='g2p_payment_fa']"))

    def test_spar_menus_are_in_the_registry_app(self):
        self.assertEqual(
            self.env.ref("g2p_spar_fa_ui.menu_spar_root").parent_id,
            self.env.ref("g2p_registry_base.g2p_main_menu_root"),
        )

    def test_payment_readiness_lists_individuals_with_their_ids(self):
        individual = self._individual("Gift Not Ready", self._nid())
        group = self._group("Household Not Listed", self._nid())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "g2p_spar_fa_ui.action_payment_readiness"
        )
        listed = self.env["res.partner"].search(ast.literal_eval(action["domain"]))
        self.assertIn(individual, listed)
        self.assertNotIn(group, listed)
        tree = self.env["res.partner"].get_view(action["view_id"][0], "tree")["arch"]
        self.assertIn('name="reg_ids"', tree)
        form_views = [view for view, mode in action["views"] if mode == "form"]
        self.assertEqual(form_views, [self.env.ref(INDIVIDUAL_FORM).id])
