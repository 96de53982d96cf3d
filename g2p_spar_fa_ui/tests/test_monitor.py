# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.g2p_spar_fa_base import change

from .common import FaUiCommon


@tagged("post_install", "-at_install")
class TestOutboxMonitor(FaUiCommon):
    def _age(self, rows, minutes):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE g2p_spar_outbox SET create_date = %s WHERE id = ANY(%s)",
            (fields.Datetime.now() - timedelta(minutes=minutes), rows.ids),
        )
        rows.invalidate_recordset()

    def test_pending_too_long_uses_the_threshold_of_the_settings(self):
        old, fresh = self._registrant(), self._registrant()
        self._mobile_fa(old, "+254712340201")
        self._mobile_fa(fresh, "+254712340202")
        self._age(self._rows(old), 20)
        outbox = self.Outbox.with_user(self.ui_viewer)
        overdue = outbox.search([("is_overdue", "=", True)])
        self.assertIn(self._rows(old), overdue)
        self.assertNotIn(self._rows(fresh), overdue)
        self.assertTrue(self._rows(old).with_user(self.ui_viewer).is_overdue)
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa_ui.overdue_minutes", "30"
        )
        self.assertNotIn(self._rows(old), outbox.search([("is_overdue", "=", True)]))

    def test_dashboard_counts_open_their_rows(self):
        failed, waiting = self._registrant(), self._registrant()
        self._mobile_fa(failed, "+254712340211")
        self._mobile_fa(waiting, "+254712340212")
        self._fail_head(failed)
        monitor_model = self.env["g2p.spar.monitor"].with_user(self.ui_viewer)
        before = monitor_model.browse(monitor_model.action_open()["res_id"])
        self.assertEqual(
            before.failed_count,
            self.Outbox.search_count([("state", "=", "failed")]),
        )
        self.assertGreaterEqual(before.pending_count, 1)
        action = before.with_context(count="failed_count").action_open_rows()
        self.assertEqual(action["context"], {"search_default_filter_failed": 1})

    def test_manager_retries_and_cancels_selected_rows(self):
        first, second = self._registrant(), self._registrant()
        self._mobile_fa(first, "+254712340221")
        self._mobile_fa(second, "+254712340222")
        rows = self._fail_head(first) | self._fail_head(second)
        rows[0].with_user(self.ui_manager).action_retry()
        rows[1].with_user(self.ui_manager).action_cancel()
        self.assertEqual(rows.mapped("state"), ["pending", "cancelled"])
        self.drain()
        self.assertEqual(self.spar_fa(first), "phone:+254712340221")
        self.assertIsNone(self.spar_fa(second))

    def test_viewers_cannot_retry(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340231")
        row = self._fail_head(partner)
        with self.assertRaises(AccessError):
            row.with_user(self.ui_viewer).action_retry()
        self.assertEqual(row.state, "failed")

    def test_the_monitor_shows_and_filters_the_lane(self):
        corrected, imported = self._registrant(), self._registrant()
        with change.recording(self.env, change.ChangeContext(change.BACKEND)):
            self._mobile_fa(corrected, "+254712340241")
        with change.recording(self.env, change.ChangeContext(change.ODK)):
            self._mobile_fa(imported, "+254712340242")
        outbox = self.Outbox.with_user(self.ui_viewer)
        views = outbox.get_views([(False, "list"), (False, "form"), (False, "search")])
        for kind in ("list", "form"):
            self.assertIn('name="lane"', views["views"][kind]["arch"], kind)
        search = etree.fromstring(views["views"]["search"]["arch"])
        for name, lane_rows in (
            ("filter_interactive", self._rows(corrected)),
            ("filter_bulk", self._rows(imported)),
        ):
            domain = safe_eval(search.find(f".//filter[@name='{name}']").get("domain"))
            found = outbox.search(domain)
            self.assertIn(lane_rows, found, name)
            self.assertFalse(
                (self._rows(corrected) | self._rows(imported)) - lane_rows & found,
                name,
            )
            self.assertEqual(lane_rows.with_user(self.ui_viewer).lane, name[7:])
