# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.spar_push import PushResult
from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestOutboxRows(SparSyncCommon):
    """Every FA change writes its row in the transaction of the change."""

    def test_new_fa_writes_a_link_row_with_the_full_snapshot(self):
        partner = self._registrant("Amina Otieno")
        fa = self._mobile_fa(partner, "0712345678", provider_code="MPESA")
        row = self._rows(partner)
        self.assertEqual(len(row), 1)
        self.assertRecordValues(
            row,
            [
                {
                    "operation": "link",
                    "state": "pending",
                    "spar_id": partner.spar_id,
                    "fa": fa.fa_string,
                    "name": "Amina Otieno",
                    "phone_number": "+254712345678",
                    "channel": "code",
                    "user_id": self.env.uid,
                    "sequence": 1,
                }
            ],
        )
        self.assertEqual(row.fa_masked, fa.fa_masked)
        # The contact phone was never involved.
        self.assertFalse(partner.phone or partner.mobile)

    def test_rejected_fa_leaves_no_row(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        with self.assertRaises(ValidationError):
            self._create_fa(partner, kind="iban", iban="DE00 0000 0000 0000 0000 00")
        self.assertEqual(len(self._rows(partner)), 1)

    def test_rolled_back_change_leaves_no_row(self):
        partner = self._registrant()
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self._create_bank_fa(partner)
            raise RuntimeError("the request failed after the FA was written")
        self.assertFalse(self._rows(partner))

    def test_replacement_supersedes_the_waiting_row(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        self._mobile_fa(partner, "+254712345678")
        first, second = self._rows(partner)
        self.assertEqual(first.state, "superseded")
        self.assertEqual(first.superseded_by_id, second)
        self.assertEqual((second.state, second.sequence), ("pending", 2))

    def test_row_in_flight_is_not_superseded(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        first = self._rows(partner)
        first.write({"state": "sending"})
        self._mobile_fa(partner, "+254712345678")
        self.assertEqual(first.state, "sending")
        second = self._rows(partner) - first
        # Written as an update: the row in flight will have linked the ID.
        self.assertEqual((second.state, second.operation), ("pending", "update"))

    def test_removal_and_archiving_write_unlink_rows(self):
        removed = self._registrant()
        self._create_bank_fa(removed).action_remove()
        archived = self._registrant()
        self._create_bank_fa(archived)
        archived.action_archive()
        for partner in removed | archived:
            rows = self._rows(partner)
            self.assertEqual(rows.mapped("operation"), ["link", "unlink"])
            self.assertEqual(rows.mapped("state"), ["superseded", "pending"])

    def test_new_registrant_id_moves_the_mapping(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        old_spar_id = partner.spar_id
        partner.registrant_ref = f"{partner.registrant_ref}X"
        rows = self._rows(partner)
        self.assertEqual(
            [(r.operation, r.spar_id) for r in rows],
            [
                ("link", old_spar_id),
                ("unlink", old_spar_id),
                ("link", partner.spar_id),
            ],
        )

    def test_name_change_is_sent_and_other_edits_are_not(self):
        partner = self._registrant("Old Name")
        self._create_bank_fa(partner)
        partner.write({"phone": "+254700000001", "street": "Main road 1"})
        self.assertEqual(len(self._rows(partner)), 1)
        partner.name = "New Name"
        self.assertEqual(self._rows(partner)[-1:].name, "New Name")

    def test_channel_comes_from_the_declared_change_not_the_context(self):
        partner = self._registrant()
        # Context keys any RPC caller can send are no channel.
        self.FA.with_context(g2p_fa_channel="odk", import_file=True).create(
            {"partner_id": partner.id, "kind": "mobile", "payment_msisdn": "0712345672"}
        )
        with change.recording(self.env, change.ChangeContext(change.ODK)):
            self._mobile_fa(partner, "0712345673")
            with change.recording(self.env, change.ChangeContext(change.API)):
                partner.name = "Renamed Through The Api"
            self._mobile_fa(partner, "0712345674")
        self._mobile_fa(partner, "0712345675")
        self.assertEqual(
            self._rows(partner).mapped("channel"),
            ["code", "odk", "api", "odk", "code"],
        )

    def test_data_import_is_recorded_on_the_import_channel(self):
        partner = self._registrant()
        result = self.FA.load(
            ["partner_id/.id", "kind", "payment_email"],
            [[str(partner.id), "email", "amina@example.org"]],
        )
        self.assertFalse(result["messages"])
        self.assertEqual(self._rows(partner).channel, "import")
        result = self.env["res.partner"].load(
            [".id", "name"], [[str(partner.id), "Amina Imported"]]
        )
        self.assertFalse(result["messages"])
        self.assertEqual(self._rows(partner).mapped("channel"), ["import", "import"])

    def test_one_dispatch_job_per_transaction(self):
        with trap_jobs() as trap:
            for index in range(3):
                self._mobile_fa(self._registrant(), f"+25471234560{index}")
            self.env.cr.precommit.run()
            trap.assert_jobs_count(1, only=self.Outbox._dispatch)


@tagged("post_install", "-at_install")
class TestClaim(SparSyncCommon):
    """Only a registrant's oldest unfinished row can be claimed."""

    def test_claim_takes_heads_only_and_a_failed_head_blocks_its_registrant(self):
        blocked, free = self._registrant(), self._registrant()
        for partner in blocked | free:
            self._create_bank_fa(partner)
        self._answered(self._rows(blocked), "failed")
        self._answered(self._rows(free), "done")
        self._mobile_fa(blocked, "+254712345671")
        self._mobile_fa(free, "+254712345672")
        claimed, _more = self.Outbox._claim(100)
        self.assertIn(self._rows(free)[-1], claimed)
        self.assertNotIn(blocked, claimed.partner_id)

    def test_one_spar_id_goes_once_per_batch(self):
        # SPAR fails a whole batch that names an ID twice; two registrants
        # can hold one ID at different times (an ID given back and reused).
        first, second = self._registrant(), self._registrant()
        fa = self._mobile_fa(first, "+254712345673")
        rows = self.Outbox._record(
            [
                {
                    "partner_id": partner.id,
                    "spar_id": first.spar_id,
                    "payment_fa_id": fa.id,
                }
                for partner in first | second
            ],
            upsert=True,
        )
        claimed, more = self.Outbox._claim(100)
        self.assertEqual(claimed & rows, rows[0])
        self.assertTrue(more, "the row left out is claimed by the next job")

    def test_claim_marks_rows_sending_and_counts_attempts(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        claimed, _more = self.Outbox._claim(100)
        row = self._rows(partner)
        self.assertIn(row, claimed)
        self.assertEqual((row.state, row.attempts), ("sending", 1))
        self.assertTrue(row.sending_since)

    def test_recovery_returns_stuck_rows_and_resumes_dispatch(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        row = self._rows(partner)
        row.write(
            {
                "state": "sending",
                "sending_since": fields.Datetime.now() - timedelta(hours=2),
            }
        )
        with trap_jobs() as trap:
            self.Outbox._cron_recover()
            trap.assert_jobs_count(1, only=self.Outbox._dispatch)
        self.assertEqual(row.state, "pending")

    def test_stale_worker_cannot_overwrite_a_newer_attempt(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        row = self._rows(partner)
        row.write({"state": "sending", "attempts": 2})
        results = {row.reference_id: PushResult("done", sent_operation="link")}
        row._record_results({row.id: 1}, results, self.connector._settings())
        self.assertEqual(row.state, "sending")


@tagged("post_install", "-at_install")
class TestOutboxAccess(SparSyncCommon):
    def test_fa_values_in_the_outbox_follow_the_fa_groups(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        row = self._rows(partner)
        with self.assertRaises(AccessError):
            row.with_user(self.user_plain).read(["state"])
        viewer_row = row.with_user(self.user_viewer)
        self.assertEqual(viewer_row.read(["fa_masked"])[0]["fa_masked"], row.fa_masked)
        with self.assertRaises(AccessError):
            viewer_row.read(["fa"])
        self.assertEqual(row.with_user(self.user_manager).fa, row.fa)
