# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import os
import urllib.request
from datetime import timedelta
from unittest.mock import patch

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from odoo import fields
from odoo.tests import tagged

from ..lib import spar_push
from .common import SparSyncCommon
from .fault_proxy import FaultProxy


@tagged("post_install", "-at_install")
class TestFaults(SparSyncCommon):
    """After every fault, each registrant's FA in SPAR is its last one here."""

    def _edit_many(self, count=6, edits=2):
        partners = [self._registrant(f"Fault {i}") for i in range(count)]
        last = {}
        for edit in range(edits):
            for index, partner in enumerate(partners):
                msisdn = f"+2547{edit}{index:07d}"
                last[partner] = self._mobile_fa(partner, msisdn).fa_string
        return last

    def _assert_spar_holds(self, last):
        for partner, fa in last.items():
            self.assertEqual(self.spar_fa(partner), fa, partner.name)

    def _drain_through_faults(self, rounds=30):
        for _round in range(rounds):
            self.drain()
            if not self.Outbox.search_count([("state", "=", "retry_wait")]):
                return
            self.make_due()
        raise AssertionError("rows still waiting to retry")

    def test_spar_down_then_back(self):
        last = self._edit_many()
        with self.spar_down():
            self.drain()
        waiting = self.Outbox.search([("partner_id", "in", [p.id for p in last])])
        states = set(waiting.mapped("state")) - {"superseded"}
        self.assertEqual(states, {"retry_wait"})
        self.assertIn("failed in transit", waiting.filtered("last_error")[0].last_error)
        self._drain_through_faults()
        self._assert_spar_holds(last)

    def test_random_5xx_and_resets_from_a_proxy(self):
        last = self._edit_many(count=10, edits=3)
        real_url = self.connector._settings().spar_url
        with FaultProxy(real_url, failure_rate=0.2, seed=7) as proxy:
            self._set("spar_url", proxy.url)
            self._set("batch_size", "3")
            self._drain_through_faults()
            self._set("spar_url", real_url)
        self.assertTrue(sum(proxy.failures.values()), "the drill injected no fault")
        self._assert_spar_holds(last)

    def test_verifier_answering_500(self):
        last = self._edit_many(count=3, edits=1)
        verifier = os.environ["G2P_SPAR_VERIFIER_URL"]

        def fault(status):
            request = urllib.request.Request(
                f"{verifier}/control/fault",
                data=json.dumps({"status": status}).encode(),
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=5).close()

        rows = self.Outbox.search([("partner_id", "in", [p.id for p in last])])
        # Rows that already waited out an earlier outage keep their chances.
        rows.write({"attempts": 8})
        fault(500)
        try:
            self.drain()
        finally:
            fault(None)
        self.assertEqual(set(rows.mapped("state")), {"retry_wait"})
        self.assertEqual(set(rows.mapped("signature_rejections")), {1})
        self._drain_through_faults()
        self._assert_spar_holds(last)

    def test_wrong_key_is_a_permanent_failure_until_fixed(self):
        partner = self._registrant()
        fa = self._mobile_fa(partner, "+254712345699")
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.connector._store_private_key(
            other_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        for _attempt in range(5):
            self.drain()
            self.make_due()
        row = self._rows(partner)
        self.assertEqual(row.state, "failed")
        self.assertEqual(row.reason_code, "rjct.jwt.invalid")
        self.assertIn("signature", row.last_error)
        self.assertNotIn(fa.fa_string, row.last_error)
        self._set("private_key", "")
        row.action_retry()
        self.drain()
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_worker_killed_between_claim_and_result(self):
        last = self._edit_many(count=4, edits=1)
        claimed, _more = self.Outbox._claim(1000)
        # SPAR applied the batch, then the worker died before recording it.
        spar_push.push_batch(self._client(), claimed._push_items())
        claimed.write({"sending_since": fields.Datetime.now() - timedelta(hours=1)})
        self.Outbox._cron_recover()
        self.assertEqual(set(claimed.mapped("state")), {"pending"})
        self.drain()
        self._assert_spar_holds(last)
        self.assertEqual(set(claimed.mapped("state")), {"done"})

    def test_unexpected_error_fails_rows_instead_of_leaving_them_sending(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712345698")
        with (
            patch.object(spar_push, "push_batch", side_effect=RuntimeError("bug")),
            self.assertLogs(
                "odoo.addons.g2p_spar_fa_sync.models.spar_outbox_dispatch",
                level="ERROR",
            ),
        ):
            self.drain()
        row = self._rows(partner)
        self.assertEqual(row.state, "failed")
        self.assertIn("RuntimeError", row.last_error)
        row.action_retry()
        self.drain()
        self.assertEqual(self.spar_fa(partner), row.fa)
