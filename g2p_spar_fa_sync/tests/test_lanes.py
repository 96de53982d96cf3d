# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import threading
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SparSyncCommon

BACKEND = change.ChangeContext(change.BACKEND, "beneficiary not paid", "T-1")


@tagged("post_install", "-at_install")
class TestLanes(SparSyncCommon):
    """A person's correction goes ahead of a bulk backlog, in order."""

    def _bulk_backlog(self, count=3):
        partners = [self._registrant(f"Bulk {n}") for n in range(count)]
        with change.recording(self.env, change.ChangeContext(change.ODK)):
            for index, partner in enumerate(partners):
                self._mobile_fa(partner, f"+25471235{index:04d}")
        return partners

    def _interactive_fa(self, partner, msisdn):
        with change.recording(self.env, BACKEND):
            return self._mobile_fa(partner, msisdn)

    def test_a_backend_edit_reaches_spar_verified_while_bulk_waits(self):
        self.drain()  # nothing else waits
        backlog = self._bulk_backlog()
        partner = self._registrant("Corrected")
        with trap_jobs() as trap:
            fa = self._interactive_fa(partner, "+254712360001")
            self.env.cr.flush()  # as the commit does
            trap.assert_jobs_count(1, only=self.Outbox._dispatch_interactive)
            # The bulk backlog's job waits for its channel meanwhile.
            self.Outbox._dispatch_interactive()
            # Read back by the job that sent it: no read-back job to find
            # nothing left.
            trap.assert_jobs_count(0, only=self.Outbox._read_back)
        function = self.env.ref("g2p_spar_fa_sync.job_function_dispatch_interactive")
        # A sibling of root.spar: a bulk backlog cannot take its capacity.
        self.assertEqual(function.channel_id.complete_name, "root.spar_interactive")
        row = self._rows(partner)
        self.assertEqual(row.lane, "interactive")
        # Sent and read back by the job of its lane, no read-back job needed.
        self.assertRecordValues(row, [{"state": "done", "verification": "verified"}])
        self.assertEqual(self.spar_fa(partner), fa.fa_string)
        bulk_rows = self.Outbox.search([("partner_id", "in", [p.id for p in backlog])])
        self.assertEqual(set(bulk_rows.mapped("state")), {"pending"})
        self.assertEqual(set(bulk_rows.mapped("lane")), {"bulk"})
        self.assertEqual(
            self.Outbox.search([("lane", "=", "bulk"), ("id", "in", bulk_rows.ids)]),
            bulk_rows,
        )

    def test_the_bulk_lane_still_takes_every_head_in_order(self):
        self.drain()
        backlog = self._bulk_backlog(2)
        partner = self._registrant("Corrected")
        self._interactive_fa(partner, "+254712360002")
        claimed, _more = self.Outbox._claim(10)
        self.assertEqual(claimed.partner_id.ids, [p.id for p in backlog] + [partner.id])

    def test_a_bulk_job_sends_waiting_corrections_first_in_a_request_of_their_own(
        self,
    ):
        self.drain()
        backlog = self._bulk_backlog(3)
        partner = self._registrant("Corrected")
        fa = self._interactive_fa(partner, "+254712360005")
        self._set("batch_size", "2")
        with trap_jobs():
            self.Outbox._dispatch()
        # The correction, newest of all, went first and was read back at
        # once; the batch of two bulk heads after it, oldest first.
        self.assertRecordValues(
            self._rows(partner), [{"state": "done", "verification": "verified"}]
        )
        self.assertEqual(self.spar_fa(partner), fa.fa_string)
        self.assertEqual(
            [self._rows(p).state for p in backlog], ["done", "done", "pending"]
        )
        self.assertNotEqual(
            self._rows(partner).message_id, self._rows(backlog[0]).message_id
        )

    def test_a_commit_queues_no_job_while_a_dispatcher_lives(self):
        """The handshake of ``_as_dispatcher``, between real sessions."""
        sessions = [self.registry.cursor() for _n in range(3)]
        envs = [self.env(cr=cr) for cr in sessions]
        outboxes = [env["g2p.spar.outbox"] for env in envs]

        def commit_queues_a_job(outbox):
            with trap_jobs() as trap:
                outbox._enqueue_dispatch_at_commit("interactive")
                return bool(trap.enqueued_jobs)

        try:
            with contextlib.ExitStack() as alive:
                self.assertTrue(commit_queues_a_job(outboxes[0]), "nobody lives")
                sessions[0].rollback()
                alive.enter_context(outboxes[1]._as_dispatcher())
                self.assertFalse(commit_queues_a_job(outboxes[0]))
                # A stopping dispatcher waits for the commit that counted on
                # it: it must look for that commit's row after it.
                stopped = threading.Event()
                stopping = threading.Thread(
                    target=lambda: (alive.close(), stopped.set()), daemon=True
                )
                stopping.start()
                self.assertFalse(stopped.wait(0.5), "it did not wait for the commit")
                sessions[0].rollback()
                self.assertTrue(stopped.wait(10))
            self.assertTrue(commit_queues_a_job(outboxes[0]), "none lives any more")
        finally:
            for cr in sessions:
                cr.rollback()
                cr.close()

    def test_only_the_last_dispatcher_to_stop_looks_for_corrections(self):
        sessions = [self.registry.cursor() for _n in range(2)]
        first, second = (self.env(cr=cr)["g2p.spar.outbox"] for cr in sessions)
        # A correction waits, as far as the stopping dispatchers can tell.
        waiting = patch.object(type(first), "_any_row", return_value=True)
        try:
            with waiting as looked, trap_jobs() as trap:
                with second._as_dispatcher():
                    with first._as_dispatcher():
                        pass
                    # The second one still lives, and will look when it stops.
                    self.assertEqual(looked.call_count, 0)
                    trap.assert_jobs_count(0)
                self.assertEqual(looked.call_count, 1)
                trap.assert_jobs_count(1, only=first._dispatch_interactive)
        finally:
            for cr in sessions:
                cr.rollback()
                cr.close()

    def test_an_edit_pulls_the_older_bulk_row_of_its_registrant_along(self):
        partner = self._registrant("Moved and corrected")
        self._mobile_fa(partner, "+254712360003")
        self.drain()
        old_spar_id = partner.spar_id
        # A bulk change of the registrant's ID: unlink the old ID, link the
        # new one. Then a department user corrects the FA before they go:
        # the new row supersedes the link, the unlink still has to go first.
        with change.recording(self.env, change.ChangeContext(change.IMPORT)):
            partner.registrant_ref = f"{partner.registrant_ref}M"
        other = self._bulk_backlog(1)[0]
        fa = self._interactive_fa(partner, "+254712360004")
        self.assertEqual(
            self._rows(partner).mapped("state"),
            ["done", "pending", "superseded", "pending"],
        )
        unlink = self._rows(partner)[1]
        self.assertEqual((unlink.operation, unlink.lane), ("unlink", "bulk"))

        claimed, _more = self.Outbox._claim(10, "interactive")
        self.assertEqual(claimed, unlink, "the older row goes first, alone")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE g2p_spar_outbox SET state = 'pending', attempts = 0 WHERE id = %s",
            (unlink.id,),
        )
        self.Outbox.invalidate_model()
        with trap_jobs():
            # One job: the unlink in its first round, the correction (the
            # registrant's head by then) in its next.
            self.Outbox._dispatch_interactive()
        self.assertEqual(
            self._rows(partner).mapped("state"),
            ["done", "done", "superseded", "done"],
        )
        self.assertEqual(self._rows(partner)[3].verification, "verified")
        self.assertIsNone(self.spar_fa(partner, old_spar_id))
        self.assertEqual(self.spar_fa(partner), fa.fa_string)
        # The bulk registrant was no part of it.
        self.assertEqual(self._rows(other).state, "pending")

    def test_rows_of_code_odk_import_and_rpc_are_bulk(self):
        for channel, lane in (
            (change.CODE, "bulk"),
            (change.ODK, "bulk"),
            (change.IMPORT, "bulk"),
            (change.RPC, "bulk"),
            (change.PORTAL, "interactive"),
            (change.API, "interactive"),
        ):
            partner = self._registrant(f"Channel {channel}")
            with change.recording(self.env, change.ChangeContext(channel)):
                self._mobile_fa(partner, "+254712360010")
            self.assertEqual(self._rows(partner).lane, lane, channel)
