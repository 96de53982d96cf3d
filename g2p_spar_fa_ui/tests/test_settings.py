# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import hashlib
import os
import socket
from pathlib import Path
from unittest.mock import patch

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config

from odoo.addons.g2p_spar_fa_sync.lib.secret_box import generate_key
from odoo.addons.g2p_spar_fa_sync.models.secret_box import SECRET_KEY_OPTION
from odoo.addons.g2p_spar_fa_sync.models.spar_connector import (
    PRIVATE_KEY_FILE_OPTION,
)

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
        stored = params.get_param(KEY_PARAM)
        self.assertNotIn("PRIVATE KEY", stored)
        self.assertEqual(self.env["g2p.secret.box"]._open(stored), pem)
        self.assertEqual(
            self._settings().g2p_spar_private_key_state, "Uploaded in these settings"
        )
        self.assertFalse(self._settings().g2p_spar_private_key_upload)
        admin_params = params.with_user(self.user_admin)
        self.assertFalse(admin_params.search([("key", "=", KEY_PARAM)]))
        self.assertNotIn(
            KEY_PARAM, [r["key"] for r in admin_params.search_read([], ["key"])]
        )

    def _traces_of(self, pem, settings):
        """Where the uploaded key shows in clear: attachments, their files,
        the settings row."""
        checksum = hashlib.sha1(pem).hexdigest()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id FROM ir_attachment WHERE checksum = %s", (checksum,)
        )
        traces = [f"attachment {row[0]}" for row in self.env.cr.fetchall()]
        Attachment = self.env["ir.attachment"]
        traces += [
            f"file {path}"
            for path in (
                Attachment._full_path(f"{checksum[:2]}/{checksum}"),
                Attachment._full_path(f"{checksum[:3]}/{checksum}"),
            )
            if os.path.exists(path)
        ]
        self.env.cr.execute(
            "SELECT row_to_json(s)::text FROM res_config_settings s WHERE id = %s",
            (settings.id,),
        )
        row = self.env.cr.fetchone()[0]
        body = "".join(pem.decode().splitlines()[1:3])
        for clear in ("PRIVATE KEY", body, base64.b64encode(pem).decode()[:60]):
            if clear in row:
                traces.append("settings row")
        return traces

    def test_uploaded_key_never_lands_in_the_filestore_nor_in_clear(self):
        pem = _new_key_pem()
        settings = self._settings(g2p_spar_private_key_upload=base64.b64encode(pem))
        # "Test Connection" saves the screen without "Save": already sealed.
        self.assertEqual(self._traces_of(pem, settings), [])
        settings.execute()
        self.assertEqual(self._traces_of(pem, settings), [])
        self.assertFalse(settings.g2p_spar_private_key_sealed)

    def test_uploaded_key_signs_for_spar(self):
        pem = Path(config[PRIVATE_KEY_FILE_OPTION]).read_bytes()
        upload = base64.b64encode(pem)
        kind, message = self._test(self._settings(g2p_spar_private_key_upload=upload))
        self.assertEqual(kind, "success", message)
        self._settings(g2p_spar_private_key_upload=upload).execute()
        settings = self._settings()
        self.assertEqual(
            settings.g2p_spar_private_key_state, "Uploaded in these settings"
        )
        kind, message = self._test(settings)
        self.assertEqual(kind, "success", message)

    def test_upload_without_a_secret_key_is_refused_and_keeps_the_key(self):
        pem = Path(config[PRIVATE_KEY_FILE_OPTION]).read_bytes()
        self._settings(g2p_spar_private_key_upload=base64.b64encode(pem)).execute()
        stored = self.env["ir.config_parameter"].get_param(KEY_PARAM)
        with (
            patch.dict(config.options, {SECRET_KEY_OPTION: False}),
            self.assertRaisesRegex(UserError, f"Set {SECRET_KEY_OPTION} in"),
        ):
            self._settings(g2p_spar_private_key_upload=base64.b64encode(_new_key_pem()))
        self.assertEqual(self.env["ir.config_parameter"].get_param(KEY_PARAM), stored)
        kind, message = self._test(self._settings())
        self.assertEqual(kind, "success", message)

    def test_key_sealed_under_another_secret_key_is_reported(self):
        self._settings(
            g2p_spar_private_key_upload=base64.b64encode(_new_key_pem())
        ).execute()
        with patch.dict(config.options, {SECRET_KEY_OPTION: generate_key()}):
            kind, message = self._test(self._settings())
        self.assertEqual(kind, "danger")
        self.assertIn("sealed with another key", message)

    def test_upgrade_removes_uploaded_keys_from_the_filestore(self):
        # What 17.0.1.0.0 left behind: the upload as an attachment.
        pem = _new_key_pem()
        settings = self._settings()
        self.env["ir.attachment"].create(
            {
                "name": "g2p_spar_private_key_upload",
                "res_model": "res.config.settings",
                "res_field": "g2p_spar_private_key_upload",
                "res_id": settings.id,
                "raw": pem,
            }
        )
        self.assertTrue(self._traces_of(pem, settings))
        self.env.cr.postcommit.clear()
        self.env["res.config.settings"]._purge_private_key_attachments()
        self.env.cr.postcommit.run()  # the upgrade's commit
        self.assertEqual(self._traces_of(pem, settings), [])

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
