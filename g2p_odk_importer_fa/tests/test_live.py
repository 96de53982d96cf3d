# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The importer against a live ODK Central, when the environment names one.

Set ODK_CENTRAL_URL, ODK_CENTRAL_EMAIL, ODK_CENTRAL_PASSWORD,
ODK_CENTRAL_PROJECT_ID and ODK_CENTRAL_FORM_ID (a form shaped like
tests/fixtures/registration_form.xml, e.g. the project odk_record.py made).
Without them these tests are reported as skipped.
"""

import unittest
from urllib.parse import urlsplit

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import _super_send

from odoo.addons.g2p_spar_fa_sync.tests.common import SparSyncCommon

from ..lib import odk_client
from .common import live_settings

LIVE = live_settings()


@tagged("post_install", "-at_install")
@unittest.skipUnless(
    LIVE and LIVE["project_id"] and LIVE["form_id"],
    "no live ODK Central: set ODK_CENTRAL_URL, ODK_CENTRAL_EMAIL, "
    "ODK_CENTRAL_PASSWORD, ODK_CENTRAL_PROJECT_ID and ODK_CENTRAL_FORM_ID",
)
class TestOdkLive(SparSyncCommon):
    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # The live Central may be elsewhere than loopback.
        if urlsplit(r.url).netloc == urlsplit(LIVE["central_url"]).netloc:
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.env["g2p.odk.import.config"].create(
            dict(LIVE, name="Live Central", page_size=2, overlap_seconds=0)
        )
        client = odk_client.OdkCentralClient(
            LIVE["central_url"], LIVE["username"], LIVE["password"]
        )
        cls.feed = [
            s
            for page in client.iter_pages(LIVE["project_id"], LIVE["form_id"], None, 50)
            for s in page.submissions
        ]

    def test_every_submission_is_imported_or_recorded_and_rerun_is_idle(self):
        stats = self.config._run_import()
        self.assertEqual(sum(stats.values()), len(self.feed))
        records = self.config.record_ids
        self.assertEqual(
            set(records.mapped("instance_id")), {s["__id"] for s in self.feed}
        )
        self.assertFalse(
            records.filtered(lambda r: r.state == "failed" and not r.error)
        )
        self.assertEqual(self.config.watermark, odk_client.latest_timestamp(self.feed))
        rows = self.env["g2p.spar.outbox"].search_count([("channel", "=", "odk")])
        # One link row per registrant imported with a payment FA.
        self.assertEqual(rows, len(records.filtered("payment_fa_id")))
        self.assertEqual(self.config._run_import(), {})
        self.assertEqual(
            self.env["g2p.spar.outbox"].search_count([("channel", "=", "odk")]), rows
        )

    def test_single_instance(self):
        if not self.feed:
            self.skipTest("the live form has no submissions")
        record = self.config._import_instance(self.feed[0]["__id"])
        self.assertEqual(record.instance_id, self.feed[0]["__id"])

    def test_wrong_password(self):
        self.config.password = LIVE["password"] + "-wrong"
        with self.assertRaisesRegex(UserError, "401"):
            self.config.action_import_now()
        self.assertFalse(self.config.record_ids)
