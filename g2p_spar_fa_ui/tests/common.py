# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import contextlib
import re
from pathlib import Path
from unittest.mock import patch

from odoo import Command
from odoo.tests import HttpCase
from odoo.tests.common import ChromeBrowser, get_db_name
from odoo.tools import config

from odoo.addons.g2p_spar_fa_sync.tests.common import SparSyncCommon

# The tour's closing notification would cover the top right of every picture.
# A style rule rather than removing them: one still fading in is hidden too.
HIDE_NOTIFICATIONS = (
    "document.head.insertAdjacentHTML('beforeend',"
    " '<style>.o_notification_manager { display: none !important; }</style>')"
)


class FaUiCommon(SparSyncCommon):
    """Users of every kind the screens serve, with passwords to log in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_admin = cls.env.ref("base.user_admin")
        cls.ui_manager = cls._login_user(
            "ui_manager", "base.group_user", "g2p_spar_fa_base.group_fa_manager"
        )
        # Both may export, so that the tests show what the FA groups hide.
        cls.ui_viewer = cls._login_user(
            "ui_viewer",
            "base.group_user",
            "base.group_allow_export",
            "g2p_spar_fa_base.group_fa_viewer",
        )
        cls.ui_plain = cls._login_user(
            "ui_plain", "base.group_user", "base.group_allow_export"
        )
        cls.enumerator = cls._login_user(
            "enumerator", "base.group_portal", "g2p_spar_fa_ui.group_fa_enumerator"
        )
        cls.other_enumerator = cls._login_user(
            "enumerator2", "base.group_portal", "g2p_spar_fa_ui.group_fa_enumerator"
        )
        cls.portal_plain = cls._login_user("portal_plain", "base.group_portal")

    @classmethod
    def _login_user(cls, login, *groups):
        """A user whose password is its login, as HttpCase.browser_js expects."""
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "password": login,
                    "groups_id": [Command.set([cls.env.ref(g).id for g in groups])],
                }
            )
        )

    def _last_row(self, partner):
        return self._rows(partner)[-1:]

    def _fail_head(self, partner, error="rejected by SPAR (rjct.fa.invalid)"):
        """Make the registrant's unsent row failed, as a permanent error does."""
        row = self._last_row(partner)
        self._answered(row, "failed", last_error=error, attempts=1)
        return row


class FaUiHttpCase(HttpCase, FaUiCommon):
    # Current Chrome ignores 17.0's "1366x768".
    browser_size = "1366,768"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No "Good job!" effect over the screenshots of the tours' last step.
        cls.env["ir.config_parameter"].set_param("base_setup.show_effect", False)

    def setUp(self):
        super().setUp()
        # Requests run on a test cursor over this transaction: read afresh.
        self.addCleanup(self.env.invalidate_all)

    def drain(self, rounds=20):
        jobs = super().drain(rounds)
        self.env.invalidate_all()
        return jobs

    @contextlib.contextmanager
    def screenshot(self, name):
        """Save what the browser shows when it closes (the end of a passed
        tour) as <Odoo's --screenshots>/<db>/tours/<name>.png, beside Odoo's
        own failure screenshots and never in the source tree; `stack.py
        screenshots` copies them into docs/screenshots for the README."""
        path = Path(config["screenshots"]) / get_db_name() / "tours" / f"{name}.png"
        path.unlink(missing_ok=True)
        stop = ChromeBrowser.stop

        def stop_after_screenshot(browser):
            if getattr(browser, "ws", None) is not None and not browser.had_failure:
                browser._websocket_request(
                    "Runtime.evaluate", params={"expression": HIDE_NOTIFICATIONS}
                )
                shot = browser._websocket_request(
                    "Page.captureScreenshot", params={"format": "png"}, timeout=30
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(base64.b64decode(shot["data"]))
            stop(browser)

        with patch.object(ChromeBrowser, "stop", stop_after_screenshot):
            yield path
        self.assertGreater(path.stat().st_size, 10_000, "empty screenshot")

    def csrf_token(self, url):
        page = self.url_open(url)
        page.raise_for_status()
        return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
