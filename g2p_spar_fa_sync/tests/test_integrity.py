# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import importlib.util
import json
from pathlib import Path

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import outbox_states, spar_protocol, spar_push
from .common import SparSyncCommon


def push(outbox):
    """Dispatch until nothing is claimable, leaving the read-back queued."""
    with trap_jobs():
        while outbox._claimable_exists():
            outbox._dispatch()


@tagged("post_install", "-at_install")
class TestRowsAreWrittenBySuiteOnly(SparSyncCommon):
    """No user rewrites what a row sends or what its read-back found."""

    def _failed_row(self, msisdn):
        partner = self._registrant()
        self._mobile_fa(partner, msisdn)
        row = self._rows(partner)
        self._answered(row, "failed", last_error="rejected", attempts=1)
        return row

    def test_fa_managers_cannot_write_rows(self):
        row = self._failed_row("+254712350001")
        forged = self._mobile_fa(self._registrant(), "+254712350099")
        for vals in (
            {"state": "done"},
            {"verification": "verified"},
            {"payment_fa_id": forged.id},
            {"fa_masked": forged.fa_masked},
            {"user_id": self.user_manager.id},
            {"channel": "api"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                row.with_user(self.user_manager).write(vals)
        self.assertRecordValues(
            row,
            [
                {
                    "state": "failed",
                    "verification": "unverified",
                    "fa_masked": row.payment_fa_id.fa_masked,
                    "channel": "code",
                    "user_id": self.env.uid,
                }
            ],
        )
        self.assertNotEqual(row.payment_fa_id, forged)

    def test_even_the_suite_makes_only_the_moves_of_the_state_machine(self):
        partner = self._registrant()
        self._mobile_fa(partner, "+254712350007")
        row = self._rows(partner).sudo()
        states = [value for value, _label in outbox_states.STATES]
        for target in states:
            if outbox_states.allowed("state", "pending", target):
                continue
            with (
                self.subTest(target=target),
                self.assertRaisesRegex(UserError, "cannot go from pending"),
            ):
                row.write({"state": target})
        row.write({"verification": "mismatch"})  # a read-back verdict
        with self.assertRaisesRegex(UserError, "cannot go from mismatch"):
            row.write({"verification": "verified"})
        row.action_cancel()
        with self.assertRaisesRegex(UserError, "cannot go from cancelled"):
            row.write({"state": "pending"})
        self.assertEqual(row.state, "cancelled")

    def test_the_change_a_row_records_stays_as_made(self):
        partner = self._registrant("Amina Otieno")
        fa = self._mobile_fa(partner, "+254712350002")
        other = self._mobile_fa(self._registrant(), "+254712350098")
        row = self._rows(partner)
        for vals in (
            {"payment_fa_id": other.id},
            {"fa": other.fa_string},
            {"name": "Someone Else"},
            {"spar_id": other.partner_id.spar_id},
            {"partner_id": other.partner_id.id},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(UserError, "cannot be changed"),
            ):
                row.write(vals)
        self.assertEqual(row.payment_fa_id, fa)
        self.assertEqual(fa.fa_string, "phone:+254712350002")
        self.assertEqual(row.name, "Amina Otieno")

    def test_viewers_cannot_retry_or_cancel_and_managers_can(self):
        row = self._failed_row("+254712350003")
        viewer_row = row.with_user(self.user_viewer)
        for action in (viewer_row.action_retry, viewer_row.action_cancel):
            with (
                self.subTest(action=action.__name__),
                self.assertRaisesRegex(AccessError, "Only FA managers"),
            ):
                action()
        self.assertEqual(row.state, "failed")

        with trap_jobs():
            row.with_user(self.user_manager).action_retry()
        self.assertEqual(row.state, "pending")
        with trap_jobs():
            row.with_user(self.user_manager).action_cancel()
        self.assertEqual(row.state, "cancelled")


@tagged("post_install", "-at_install")
class TestRowsOverJsonRpc(HttpCase, SparSyncCommon):
    """The real access path: a logged-in FA manager calling the web client's
    JSON-RPC."""

    def _call(self, method, row, *args):
        response = self.url_open(
            f"/web/dataset/call_kw/g2p.spar.outbox/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "g2p.spar.outbox",
                        "method": method,
                        "args": [row.ids, *args],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_manager_write_is_refused_and_retry_works(self):
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "RPC manager",
                "login": "rpc_manager",
                "password": "rpc_manager_pw",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("base.group_user").id,
                            self.env.ref("g2p_spar_fa_base.group_fa_manager").id,
                        ]
                    )
                ],
            }
        )
        partner = self._registrant()
        self._mobile_fa(partner, "+254712350004")
        row = self._rows(partner)
        self._answered(row, "failed", last_error="rejected", attempts=1)
        self.authenticate("rpc_manager", "rpc_manager_pw")

        answer = self._call("write", row, {"state": "done", "verification": "verified"})
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        row.invalidate_recordset()
        self.assertEqual((row.state, row.verification), ("failed", "unverified"))

        with trap_jobs():
            answer = self._call("action_retry", row)
        self.assertIs(answer.get("result"), True, answer)
        row.invalidate_recordset()
        self.assertEqual(row.state, "pending")


@tagged("post_install", "-at_install")
class TestSnapshotOfTheFaRecord(SparSyncCommon):
    """What reaches SPAR and what is compared with SPAR come from the FA
    history, and SPAR ends up holding exactly that snapshot."""

    def _point_at(self, row, fa):
        """A bypass of every check (SQL) pointing the row at another FA."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE g2p_spar_outbox SET payment_fa_id = %s WHERE id = %s",
            (fa.id, row.id),
        )
        row.invalidate_recordset()

    def test_the_fa_record_a_row_sends_cannot_be_rewritten(self):
        partner = self._registrant()
        fa = self._mobile_fa(partner, "+254712350014")
        for vals in (
            {"fa_string": "phone:+254799990014"},
            {"fa_masked": "phone:*****014"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                fa.with_user(self.user_manager).write(vals)
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712350014")

    def test_fa_history_is_deleted_only_once_its_rows_are_finished(self):
        partner = self._registrant()
        first = self._mobile_fa(partner, "+254712350015")
        row = self._rows(partner)
        row.write({"state": "sending"})  # in flight: the next row follows it
        self._mobile_fa(partner, "+254712350016")
        with self.assertRaisesRegex(UserError, "on its way to SPAR"):
            first.unlink()
        row.write({"state": "failed"})
        row.action_cancel()
        first.unlink()
        self.assertFalse(row.payment_fa_id)
        self.assertEqual(row.fa_masked, "phone:*****015")

    def test_a_row_pointed_at_another_registrants_fa_sends_nothing(self):
        partner, other = self._registrant(), self._registrant()
        self._mobile_fa(partner, "+254712350011")
        forged = self._mobile_fa(other, "+254712350097")
        row = self._rows(partner)
        self._point_at(row, forged)
        self.drain()
        self.assertEqual(row.state, "failed")
        self.assertIn("no FA of the registrant", row.last_error)
        self.assertIsNone(self.spar_fa(partner))

    def test_a_row_pointed_elsewhere_after_the_push_reads_back_a_mismatch(self):
        partner, other = self._registrant(), self._registrant()
        self._mobile_fa(partner, "+254712350012")
        forged = self._mobile_fa(other, "+254712350096")
        push(self.Outbox)
        # SPAR is made to hold the forged FA and the row to claim it.
        self._client().update(
            [spar_protocol.FaMapping("x", partner.spar_id, forged.fa_string)]
        )
        row = self._rows(partner)
        self._point_at(row, forged)

        self.Outbox._read_back()
        self.assertEqual(row.verification, "mismatch")
        self.assertEqual(row.spar_fa_masked, spar_protocol.redact(forged.fa_string))

    def test_mobile_to_bank_leaves_no_payment_phone_in_spar(self):
        partner = self._registrant("Amina Wanjiru")
        self._mobile_fa(partner, "+254712350013")
        self.drain()
        self.assertEqual(self.spar_table_row(partner)["phone"], "+254712350013")

        bank = self._create_bank_fa(partner)
        self.drain()
        held = self.spar_table_row(partner)
        self.assertEqual(
            (held["fa_value"], held["name"], held["phone"]),
            (bank.fa_string, "Amina Wanjiru", None),
        )
        self.assertEqual(held["additional_info"][0]["fa_kind"], "bank")
        self.assertRecordValues(
            self._rows(partner)[-1],
            [{"state": "done", "sent_operation": "link", "verification": "verified"}],
        )

    def test_bank_to_bank_is_one_update_never_leaving_the_id_unmapped(self):
        # SPAR holds no phone for a bank snapshot: nothing to clear, so no
        # unlink (and no moment where SPAR maps nothing) for a new account.
        partner = self._registrant("Baraka Otieno")
        self._create_bank_fa(partner)
        self.drain()
        bank = self._create_fa(
            partner, kind="bank", account_number="9876543210", bank_id=self.bank.id
        )
        self.drain()
        self.assertEqual(self.spar_table_row(partner)["fa_value"], bank.fa_string)
        self.assertRecordValues(
            self._rows(partner)[-1],
            [{"state": "done", "sent_operation": "update", "verification": "verified"}],
        )

    def test_other_name_phone_or_kind_in_spar_is_a_mismatch_and_a_drift(self):
        key = self.Outbox._details_key()
        partners = {
            what: self._registrant(f"Details {what}")
            for what in ("name", "phone", "kind", "same")
        }
        fas = {
            what: self._mobile_fa(partner, f"+25471235002{index}")
            for index, (what, partner) in enumerate(partners.items())
        }
        push(self.Outbox)
        # SPAR holds our FA each time, with the details of another snapshot
        # (an older row of ours, or another writer).
        tampered = {
            "name": ("mobile", fas["name"].payment_msisdn, "Someone Else"),
            "phone": ("mobile", "+254799990021", "Details phone"),
            "kind": ("email", fas["kind"].payment_msisdn, "Details kind"),
        }
        self._client().update(
            [
                spar_protocol.FaMapping(
                    what,
                    partners[what].spar_id,
                    fas[what].fa_string,
                    name=name,
                    phone_number=phone,
                    additional_info=spar_push.snapshot_details(kind, phone, name, key)[
                        1
                    ],
                )
                for what, (kind, phone, name) in tampered.items()
            ]
        )

        self.Outbox._read_back()
        for what, partner in partners.items():
            with self.subTest(what=what):
                self.assertEqual(
                    self._rows(partner).verification,
                    "verified" if what == "same" else "mismatch",
                )

        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()
        drift = {d.partner_id: d.kind for d in run.drift_ids}
        for what, partner in partners.items():
            with self.subTest(what=what):
                self.assertEqual(
                    drift.get(partner), None if what == "same" else "details"
                )


@tagged("post_install", "-at_install")
class TestNoClearValuesOnceFinished(SparSyncCommon):
    """A finished row keeps the masked FA and the FA history link, and no
    FA, phone or name in clear."""

    def _stored(self, row):
        """Everything the database holds for the row, as text."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT to_jsonb(o)::text FROM g2p_spar_outbox o WHERE id = %s",
            (row.id,),
        )
        return self.env.cr.fetchone()[0]

    def _assert_no_clear_values(self, row, fa):
        stored = self._stored(row)
        self.assertNotIn(fa.payment_msisdn[1:], stored)
        self.assertNotIn(row.partner_id.name, stored)
        self.assertEqual(row.payment_fa_id, fa)
        self.assertEqual(
            row.with_user(self.user_viewer).read(["fa_masked"])[0]["fa_masked"],
            fa.fa_masked,
        )
        self.assertEqual(row.with_user(self.user_manager).fa, fa.fa_string)

    def test_verified_superseded_and_cancelled_rows(self):
        partner = self._registrant("Zawadi Kamau")
        first = self._mobile_fa(partner, "+254712350031")
        second = self._mobile_fa(partner, "+254712350032")
        superseded, sent = self._rows(partner)
        self.drain()
        self.assertEqual(
            (superseded.state, sent.verification), ("superseded", "verified")
        )
        self._assert_no_clear_values(superseded, first)
        self._assert_no_clear_values(sent, second)

        third = self._mobile_fa(partner, "+254712350033")
        waiting = self._rows(partner)[-1]
        # Still to be sent: it keeps what it sends.
        self.assertIn("Zawadi Kamau", self._stored(waiting))
        with trap_jobs():
            waiting.with_user(self.user_manager).action_cancel()
        self._assert_no_clear_values(waiting, third)

    def test_done_rows_without_read_back(self):
        self._set("verify_after_push", "false")
        partner = self._registrant("Baraka Mwangi")
        fa = self._mobile_fa(partner, "+254712350034")
        push(self.Outbox)
        row = self._rows(partner)
        self.assertEqual((row.state, row.verification), ("done", "unverified"))
        self._assert_no_clear_values(row, fa)


@tagged("post_install", "-at_install")
class TestMigrationOfCopies(SparSyncCommon):
    """17.0.1.1.0 turns rows that copied the FA into rows that link it."""

    def test_rows_with_copies_get_their_fa_link_and_lose_the_copies(self):
        path = Path(__file__).parents[1] / "migrations/17.0.1.1.0/pre-migration.py"
        spec = importlib.util.spec_from_file_location("g2p_outbox_migration", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        partner = self._registrant("Neema Achieng")
        first = self._mobile_fa(partner, "+254712350041")
        push(self.Outbox)
        self.Outbox._read_back()
        second = self._mobile_fa(partner, "+254712350042")
        done, waiting = self._rows(partner)
        self.env.flush_all()
        cr = self.env.cr
        # The table as 17.0.1.0.0 left it (rolled back with the test).
        cr.execute(
            """
            ALTER TABLE g2p_spar_outbox DROP CONSTRAINT g2p_spar_outbox_upsert_has_fa,
                ADD COLUMN fa varchar, ADD COLUMN phone_number varchar,
                ADD COLUMN additional_info jsonb;
            UPDATE g2p_spar_outbox o
               SET fa = f.fa_string, phone_number = f.payment_msisdn,
                   name = 'Neema Achieng', payment_fa_id = NULL
              FROM g2p_payment_fa f
             WHERE f.id = o.payment_fa_id AND o.id = ANY(%s);
            ALTER TABLE g2p_spar_outbox DROP COLUMN payment_fa_id;
            """,
            ([done.id, waiting.id],),
        )

        migration.migrate(cr, "17.0.1.0.0")

        cr.execute(
            "SELECT id, payment_fa_id, name, to_jsonb(o) ? 'fa'"
            " FROM g2p_spar_outbox o WHERE id = ANY(%s) ORDER BY id",
            ([done.id, waiting.id],),
        )
        self.assertEqual(
            cr.fetchall(),
            [
                (done.id, first.id, None, False),
                (waiting.id, second.id, "Neema Achieng", False),
            ],
        )
