# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import REPLAY_PASSWORD, OdkReplayCommon


@tagged("post_install", "-at_install")
class TestOdkSecurity(OdkReplayCommon):
    """The Central password and the raw submissions stay with the right people."""

    def test_password_is_unreadable_for_non_admins(self):
        config = self.config.with_user(self.user_manager)
        self.assertEqual(config.name, "Replayed Central")
        with self.assertRaises(AccessError):
            _password = config.password
        with self.assertRaises(AccessError):
            config.read(["password"])
        self.assertEqual(self.config.password, REPLAY_PASSWORD)

    def test_plain_users_see_no_configuration(self):
        with self.assertRaises(AccessError):
            self.config.with_user(self.user_plain).read(["name"])

    def test_only_admins_run_or_change_an_import(self):
        with self.assertRaises(AccessError):
            self.config.with_user(self.user_manager).write({"watermark": False})

    def test_raw_submission_is_hidden_from_viewers(self):
        self.config._run_import()
        record = self.record_of("bad_iban").with_user(self.user_viewer)
        with self.assertRaises(AccessError):
            record.read(["raw_data"])
        manager_view = self.record_of("bad_iban").with_user(self.user_manager)
        self.assertIn("__id", manager_view.raw_data)

    def test_logs_carry_no_form_values_nor_password(self):
        with self.assertLogs("odoo.addons.g2p_odk_importer_fa", logging.DEBUG) as logs:
            self.config._run_import()
        text = "\n".join(logs.output)
        for secret in (
            REPLAY_PASSWORD,
            "DE00123456789012345678",
            "0712345678",
            "+254712345678",
            "1234567890",
            "Otieno",
            "+254700000101",
        ):
            self.assertNotIn(secret, text)
        self.assertIn(self.ids["bad_iban"], text)
