# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.g2p_spar_fa_sync.models.secret_box import SECRET_KEY_OPTION

from .common import REPLAY_PASSWORD, OdkReplayCommon


@tagged("post_install", "-at_install")
class TestOdkSecurity(OdkReplayCommon):
    """The Central password and the raw submissions stay with the right people."""

    def _row_text(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT row_to_json(c)::text FROM g2p_odk_import_config c WHERE id = %s",
            (self.config.id,),
        )
        return self.env.cr.fetchone()[0]

    def assert_central_accepts_the_account(self):
        result = self.config.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")

    def test_password_is_unreadable_for_non_admins(self):
        config = self.config.with_user(self.user_manager)
        self.assertEqual(config.name, "Replayed Central")
        for field in ("password", "password_encrypted"):
            with self.assertRaises(AccessError):
                config.read([field])
        with self.assertRaises(AccessError):
            _sealed = config.password_encrypted

    def test_password_is_stored_encrypted_and_never_shown_again(self):
        self.assertNotIn(REPLAY_PASSWORD, self._row_text())
        self.assertTrue(self.config.password_encrypted.startswith("fernet:"))
        admin = self.config.with_user(self.env.ref("base.user_admin"))
        self.assertEqual(admin.read(["password", "has_password"])[0]["password"], False)
        self.assertTrue(admin.has_password)
        self.assert_central_accepts_the_account()

    def test_password_is_refused_without_a_secret_key_and_kept(self):
        with (
            patch.dict(config.options, {SECRET_KEY_OPTION: ""}),
            self.assertRaisesRegex(UserError, f"Set {SECRET_KEY_OPTION} in"),
        ):
            self.config.password = "new-password"
        self.assert_central_accepts_the_account()

    def test_upgrade_seals_a_password_stored_in_clear(self):
        # What 17.0.1.0.0 left: the password in clear in its own column.
        self.env.flush_all()
        self.env.cr.execute(
            "ALTER TABLE g2p_odk_import_config ADD COLUMN password varchar;"
            "UPDATE g2p_odk_import_config SET password = %s, "
            "password_encrypted = NULL WHERE id = %s",
            (REPLAY_PASSWORD, self.config.id),
        )
        self.config.invalidate_recordset()
        self.assertIn(REPLAY_PASSWORD, self._row_text())
        self.Config._seal_clear_passwords()
        self.assertNotIn(REPLAY_PASSWORD, self._row_text())
        self.assert_central_accepts_the_account()

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
