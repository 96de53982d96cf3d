# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import secrets
import string

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import spar_protocol
from ..lib.spar_push import SERVER_ERROR_ATTEMPTS
from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestDispatchToSpar(SparSyncCommon):
    """Against the real SPAR mapper, signatures verified for real."""

    def test_link_update_unlink_reach_spar_and_are_verified(self):
        partner = self._registrant()
        first = self._mobile_fa(partner, "+254712345678")
        self.drain()
        self.assertEqual(self.spar_fa(partner), first.fa_string)
        row = self._rows(partner)
        self.assertRecordValues(
            row,
            [{"state": "done", "sent_operation": "link", "verification": "verified"}],
        )
        self.assertTrue(row.message_id and row.transaction_id)

        second = self._mobile_fa(partner, "+254712345679")
        self.drain()
        self.assertEqual(self.spar_fa(partner), second.fa_string)
        self.assertEqual(self._rows(partner)[-1].sent_operation, "update")

        second.action_remove()
        self.drain()
        self.assertIsNone(self.spar_fa(partner))
        self.assertEqual(self._rows(partner)[-1].sent_operation, "unlink")

    def test_link_of_an_id_spar_already_maps_falls_back_to_update(self):
        partner = self._registrant()
        self._client().link(
            [spar_protocol.FaMapping("x", partner.spar_id, "phone:+254700000000")]
        )
        fa = self._mobile_fa(partner, "+254712345678")
        self.assertEqual(self._rows(partner).operation, "link")
        self.drain()
        self.assertEqual(self._rows(partner).sent_operation, "update")
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_update_of_an_id_spar_lost_falls_back_to_link(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        self.drain()
        self._client().unlink([partner.spar_id])
        fa = self._mobile_fa(partner, "+254712345678")
        self.assertEqual(self._rows(partner)[-1].operation, "update")
        self.drain()
        self.assertEqual(self._rows(partner)[-1].sent_operation, "link")
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_interleaved_edits_of_two_registrants_end_with_each_ones_last(self):
        first, second = self._registrant(), self._registrant()
        self._mobile_fa(first, "+254712340001")
        self._mobile_fa(second, "+254712340002")
        last_first = self._mobile_fa(first, "+254712340003")
        last_second = self._mobile_fa(second, "+254712340004")
        self.drain()
        self.assertEqual(self.spar_fa(first), last_first.fa_string)
        self.assertEqual(self.spar_fa(second), last_second.fa_string)

    def test_three_quick_edits_end_with_the_last_in_spar(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712340011")
        # The first edit is in flight when the next two arrive.
        self.Outbox._claim(1000)
        self._mobile_fa(partner, "+254712340012")
        last = self._mobile_fa(partner, "+254712340013")
        rows = self._rows(partner)
        self.assertEqual(rows.mapped("state"), ["sending", "superseded", "pending"])
        rows[0].write({"state": "pending"})  # its worker gave it back
        self.drain()
        self.assertEqual(self.spar_fa(partner), last.fa_string)
        self.assertEqual(rows.mapped("state"), ["done", "superseded", "done"])

    def test_failed_head_blocks_only_its_registrant_until_retried(self):
        blocked, free = self._registrant(), self._registrant()
        self._create_bank_fa(blocked)
        self._create_bank_fa(free)
        self._answered(self._rows(blocked), "failed", last_error="rejected")
        blocked_last = self._mobile_fa(blocked, "+254712340021")
        free_last = self._mobile_fa(free, "+254712340022")
        self.drain()
        self.assertEqual(self.spar_fa(free), free_last.fa_string)
        self.assertIsNone(self.spar_fa(blocked))
        self.assertEqual(self._rows(blocked)[-1].state, "pending")

        self._rows(blocked)[0].action_retry()
        self.drain()
        self.assertEqual(self.spar_fa(blocked), blocked_last.fa_string)
        self.assertEqual(self._rows(blocked).mapped("state"), ["done", "done"])

    def test_registrant_id_change_moves_the_mapping_in_spar(self):
        partner = self._registrant()
        fa = self._create_bank_fa(partner)
        self.drain()
        old_spar_id = partner.spar_id
        partner.registrant_ref = f"{partner.registrant_ref}M"
        self.drain()
        self.assertIsNone(self.spar_fa(partner, old_spar_id))
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_next_row_is_sent_as_soon_as_the_one_before_is_done(self):
        partner = self._registrant()
        fa = self._create_bank_fa(partner)
        self.drain()
        old_spar_id = partner.spar_id
        # One change, two rows: the link of the new ID waits for the unlink.
        partner.registrant_ref = f"{partner.registrant_ref}M"
        with trap_jobs() as trap:
            self.env.cr.flush()  # as the commit does: queues one dispatch job
            trap.assert_jobs_count(1, only=self.Outbox._dispatch)
            trap.perform_enqueued_jobs()
            self.assertEqual(
                self._rows(partner).mapped("state"), ["done", "done", "pending"]
            )
            # Queued by the job that sent the unlink, not left to the cron.
            trap.assert_jobs_count(1, only=self.Outbox._dispatch)
            trap.perform_enqueued_jobs()
        self.assertEqual(self._rows(partner).mapped("state"), ["done"] * 3)
        self.assertIsNone(self.spar_fa(partner, old_spar_id))
        self.assertEqual(self.spar_fa(partner), fa.fa_string)

    def test_a_row_spar_chokes_on_fails_alone_and_blocks_only_its_registrant(self):
        good = [self._registrant(f"Good {n}") for n in range(4)]
        good_fas = {
            p: self._mobile_fa(p, f"+25471234005{n}") for n, p in enumerate(good)
        }
        poisoned = self._registrant("Poisoned")
        self._create_bank_fa(poisoned)
        row = self._rows(poisoned)
        # Too long for SPAR's index, whatever validation let it through:
        # the mapper answers HTTP 500 to any link carrying it.
        alphabet = string.ascii_letters + string.digits
        poison = "".join(secrets.choice(alphabet) for _ in range(6000))
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE g2p_payment_fa SET fa_string = %s WHERE id = %s",
            (f"account:{poison}@BR.BANK.bank_acc", row.payment_fa_id.id),
        )
        self.FA.invalidate_model(["fa_string"])

        self.drain()
        for partner, fa in good_fas.items():
            self.assertEqual(self.spar_fa(partner), fa.fa_string)
        good_rows = self.Outbox.search([("partner_id", "in", [p.id for p in good])])
        self.assertEqual(set(good_rows.mapped("verification")), {"verified"})
        self.assertRecordValues(row, [{"state": "retry_wait", "server_errors": 1}])

        for _attempt in range(SERVER_ERROR_ATTEMPTS - 1):
            self.make_due()
            self.drain()
        self.assertRecordValues(
            row, [{"state": "failed", "server_errors": SERVER_ERROR_ATTEMPTS}]
        )
        self.assertIn("HTTP 500", row.last_error)
        self.assertNotIn(poison[:30], row.last_error)
        self.assertIsNone(self.spar_fa(poisoned))

        later = self._mobile_fa(poisoned, "+254712340059")
        other = self._mobile_fa(good[0], "+254712340058")
        self.drain()
        self.assertEqual(self.spar_fa(good[0]), other.fa_string)
        self.assertEqual(self._rows(poisoned)[-1].state, "pending")
        self.assertIsNone(self.spar_fa(poisoned))
        row.action_cancel()
        self.drain()
        self.assertEqual(self.spar_fa(poisoned), later.fa_string)
