# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config

from ..lib import secret_box
from ..models.secret_box import SECRET_KEY_OPTION
from ..models.spar_connector import KEY_PARAM, PRIVATE_KEY_FILE_OPTION
from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestPartnerKeyAtRest(SparSyncCommon):
    """The uploaded partner private key: ciphertext in the database, in clear
    only in the memory of the code that signs."""

    def setUp(self):
        super().setUp()
        # The key SPAR's key manager knows (the stack's).
        self.pem = Path(config[PRIVATE_KEY_FILE_OPTION]).read_bytes()

    def _stored_value(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT value FROM ir_config_parameter WHERE key = %s", (KEY_PARAM,)
        )
        return self.env.cr.fetchone()[0]

    def assert_ciphertext(self, stored):
        self.assertTrue(secret_box.is_sealed(stored))
        self.assertNotIn("PRIVATE KEY", stored)
        body_line = self.pem.decode().splitlines()[1]
        self.assertNotIn(body_line, stored)

    def assert_signs_for_spar(self):
        """SPAR accepts what is signed with the key read back from the
        database: an FA pushed now is what SPAR resolves."""
        settings = self.connector._settings()
        self.assertEqual(
            self.connector._private_key_source(self.env["ir.config_parameter"]),
            "settings",
        )
        self.assertEqual(settings.private_key_pem, self.pem)
        partner = self._registrant()
        fa = self._mobile_fa(partner, "+254712340001")
        self.drain()
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_stored_key_is_ciphertext_and_still_signs_for_spar(self):
        self.connector._store_private_key(self.pem)
        self.assert_ciphertext(self._stored_value())
        self.assert_signs_for_spar()

    def test_upgrade_seals_a_key_stored_in_clear(self):
        # What 17.0.1.0.0 left: the PEM itself in the parameter.
        self.env["ir.config_parameter"].set_param(KEY_PARAM, self.pem.decode())
        self.connector._seal_stored_private_key()
        self.assert_ciphertext(self._stored_value())
        self.assert_signs_for_spar()
        sealed = self._stored_value()
        self.connector._seal_stored_private_key()
        self.assertEqual(self._stored_value(), sealed, "sealed once, not twice")

    def test_without_a_configured_key_nothing_is_stored(self):
        self.connector._store_private_key(self.pem)
        before = self._stored_value()
        with (
            patch.dict(config.options, {SECRET_KEY_OPTION: ""}),
            self.assertRaisesRegex(UserError, f"Set {SECRET_KEY_OPTION} in"),
        ):
            self.connector._store_private_key(b"another key")
        self.assertEqual(self._stored_value(), before)

    def test_key_sealed_under_another_secret_key_stops_sending_only(self):
        self.connector._store_private_key(self.pem)
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340002")
        other = secret_box.generate_key()
        with patch.dict(config.options, {SECRET_KEY_OPTION: other}):
            settings = self.connector._settings()
            self.assertIn("sealed with another key", settings.private_key_problem)
            with self.assertRaisesRegex(UserError, "sealed with another key"):
                self.connector._client(settings)
            # What needs no key goes on.
            self.Outbox._cron_recover()
        self.assertEqual(self._rows(partner).state, "pending")
        # Rotation: the new key first, the old one still listed.
        rotated = f"{other},{config[SECRET_KEY_OPTION]}"
        with patch.dict(config.options, {SECRET_KEY_OPTION: rotated}):
            self.assertEqual(self.connector._settings().private_key_pem, self.pem)

    def test_fa_manager_cannot_read_the_key(self):
        self.connector._store_private_key(self.pem)
        params = self.env["ir.config_parameter"].with_user(self.user_manager)
        with self.assertRaises(AccessError):
            params.get_param(KEY_PARAM)
        # Refused, or (inside OpenG2P's registry, which opens system
        # parameters to every user; g2p_spar_fa_openg2p) hidden.
        try:
            found = params.search_read([("key", "=", KEY_PARAM)], ["value"])
        except AccessError:
            found = []
        self.assertEqual(found, [])
