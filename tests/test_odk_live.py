"""The ODK client against a live ODK Central; skipped unless configured.

Set ODK_CENTRAL_URL, ODK_CENTRAL_EMAIL, ODK_CENTRAL_PASSWORD,
ODK_CENTRAL_PROJECT_ID and ODK_CENTRAL_FORM_ID.
"""

import os
import unittest

from g2p_odk_importer_fa.lib import odk_client

ENV = ("ODK_CENTRAL_URL", "ODK_CENTRAL_EMAIL", "ODK_CENTRAL_PASSWORD")
PROJECT = int(os.environ.get("ODK_CENTRAL_PROJECT_ID") or 0)
FORM = os.environ.get("ODK_CENTRAL_FORM_ID") or ""


@unittest.skipUnless(
    all(os.environ.get(n) for n in ENV) and PROJECT and FORM,
    "no live ODK Central: set ODK_CENTRAL_URL, ODK_CENTRAL_EMAIL, "
    "ODK_CENTRAL_PASSWORD, ODK_CENTRAL_PROJECT_ID and ODK_CENTRAL_FORM_ID",
)
class TestLiveCentral(unittest.TestCase):
    def client(self, password=None):
        return odk_client.OdkCentralClient(
            os.environ["ODK_CENTRAL_URL"],
            os.environ["ODK_CENTRAL_EMAIL"],
            password or os.environ["ODK_CENTRAL_PASSWORD"],
        )

    def test_paging_returns_every_submission_once_in_order(self):
        pages = list(self.client().iter_pages(PROJECT, FORM, None, 2))
        subs = [s for p in pages for s in p.submissions]
        self.assertEqual(len(subs), pages[0].count)
        self.assertEqual(len({s["__id"] for s in subs}), len(subs))
        dates = [s["__system"]["submissionDate"] for s in subs]
        self.assertEqual(dates, sorted(dates))

    def test_watermark_filter_is_accepted(self):
        client = self.client()
        subs = [
            s for p in client.iter_pages(PROJECT, FORM, None, 50) for s in p.submissions
        ]
        latest = odk_client.latest_timestamp(subs)
        after = [
            s
            for p in client.iter_pages(PROJECT, FORM, latest, 50)
            for s in p.submissions
        ]
        self.assertEqual(after, [])

    def test_wrong_password(self):
        with self.assertRaises(odk_client.OdkAuthError) as err:
            self.client(password="definitely-wrong-password").login()
        self.assertEqual(err.exception.code, 401.2)
