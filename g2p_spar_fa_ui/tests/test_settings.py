# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import socket

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FaUiCommon

KEY_PARAM = "g2p_spar_fa_sync.private_key"


def _new_key_pem():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@tagged("post_install", "-at_install")
class TestSparSettings(FaUiCommon):
    def _settings(self, **vals):
        return self.env["res.config.settings"].with_user(self.user_admin).create(vals)

    def _test(self, settings):
        params = settings.action_test_spar_connection()["params"]
        return params["type"], params["message"]

    def test_connection_works_with_the_stack(self):
        kind, message = self._test(self._settings())
        self.assertEqual(kind, "success", message)

    def test_connection_says_spar_is_unreachable(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        kind, message = self._test(self._settings(g2p_spar_url=url))
        self.assertEqual(kind, "danger")
        self.assertIn(f"SPAR is unreachable at {url}", message)

    def test_connection_says_the_signature_was_rejected(self):
        upload = base64.b64encode(_new_key_pem())
        kind, message = self._test(self._settings(g2p_spar_private_key_upload=upload))
        self.assertEqual(kind, "danger")
        self.assertIn("SPAR rejected the signature", message)

    def test_uploaded_key_is_stored_and_never_shown_again(self):
        pem = _new_key_pem()
        settings = self._settings(g2p_spar_private_key_upload=base64.b64encode(pem))
        settings.execute()
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param(KEY_PARAM), pem.decode())
        self.assertEqual(
            self._settings().g2p_spar_private_key_state, "Uploaded in these settings"
        )
        self.assertFalse(self._settings().g2p_spar_private_key_upload)
        admin_params = params.with_user(self.user_admin)
        self.assertFalse(admin_params.search([("key", "=", KEY_PARAM)]))
        self.assertNotIn(
            KEY_PARAM, [r["key"] for r in admin_params.search_read([], ["key"])]
        )

    def test_unusable_key_is_refused(self):
        settings = self._settings(
            g2p_spar_private_key_upload=base64.b64encode(b"not a key")
        )
        with self.assertRaisesRegex(UserError, "not a valid PEM private key"):
            settings.execute()

    def test_settings_reach_the_connector(self):
        settings = self._settings(
            g2p_spar_batch_size=50,
            g2p_spar_retry_base_seconds=2.5,
            g2p_spar_verify_after_push="false",
        )
        settings.execute()
        spar = self.connector._settings()
        self.assertEqual(
            (spar.batch_size, spar.retry_base_seconds, spar.verify_after_push),
            (50, 2.5, False),
        )

    def test_channel_capacity_is_shown_from_the_server_configuration(self):
        self.assertIn("root", self._settings().g2p_spar_channel_capacity)

    def test_only_settings_administrators(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.ui_manager).create({})
