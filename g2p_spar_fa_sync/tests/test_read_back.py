# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import spar_protocol
from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestReadBack(SparSyncCommon):
    """The read-back resolves from the real SPAR what the push sent."""

    def _push(self):
        """Dispatch until nothing is claimable; returns the trapped jobs."""
        with trap_jobs() as trap:
            while self.Outbox._claimable_exists():
                self.Outbox._dispatch()
        return trap

    def test_push_queues_a_read_back_that_verifies_what_spar_holds(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340001")
        trap = self._push()
        row = self._rows(partner)
        self.assertRecordValues(row, [{"state": "done", "verification": "unverified"}])
        trap.assert_jobs_count(1, only=self.Outbox._read_back)
        trap.assert_enqueued_job(
            self.Outbox._read_back,
            properties={"priority": 20, "identity_key": "g2p_spar_fa_sync.read_back"},
        )

        self.Outbox._read_back()
        self.assertEqual(row.verification, "verified")
        self.assertTrue(row.verified_at)

    def test_a_full_batch_finishing_last_still_queues_the_read_back(self):
        self._push()  # nothing else waits
        for index in range(2):
            self._mobile_fa(self._registrant(), f"+25471234001{index}")
        self._set("batch_size", "1")
        # Another job holds one row, still sending; this one claims the
        # other, a full batch, and is the last to finish.
        self.Outbox._claim(1)
        with trap_jobs() as trap:
            self.Outbox._dispatch()
        trap.assert_jobs_count(1, only=self.Outbox._read_back)

    def test_spar_holding_another_fa_is_flagged_masked(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340002")
        self._push()
        other = "phone:+254799990002"
        self._client().update([spar_protocol.FaMapping("x", partner.spar_id, other)])

        self.Outbox._read_back()
        row = self._rows(partner)
        self.assertEqual(row.verification, "mismatch")
        self.assertEqual(row.spar_fa_masked, spar_protocol.redact(other))
        self.assertNotIn("99990002", row.spar_fa_masked)

    def test_row_replaced_before_the_check_is_not_compared(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340003")
        self._push()
        latest = self._mobile_fa(partner, "+254712340004")
        self._push()

        self.Outbox._read_back()
        self.assertEqual(
            self._rows(partner).mapped("verification"), ["replaced", "verified"]
        )
        self.assertEqual(self.spar_fa(partner), latest.fa_string)

    def test_spar_unreachable_retries_the_job_and_keeps_rows_unverified(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340005")
        self._push()
        with self.spar_down(), self.assertRaises(RetryableJobError):
            self.Outbox._read_back()
        self.assertEqual(self._rows(partner).verification, "unverified")

        self.Outbox._read_back()
        self.assertEqual(self._rows(partner).verification, "verified")

    def test_recovery_cron_queues_a_read_back_while_rows_wait_for_one(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340006")
        self._push()
        with trap_jobs() as trap:
            self.Outbox._cron_recover()
        trap.assert_jobs_count(1, only=self.Outbox._read_back)

        self.Outbox._read_back()
        with trap_jobs() as trap:
            self.Outbox._cron_recover()
        trap.assert_jobs_count(0, only=self.Outbox._read_back)

    def test_no_read_back_when_it_is_switched_off(self):
        self._set("verify_after_push", "false")
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340007")
        trap = self._push()
        trap.assert_jobs_count(0, only=self.Outbox._read_back)
        self.assertEqual(self._rows(partner).verification, "unverified")
