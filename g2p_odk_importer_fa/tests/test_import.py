# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy
import json
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from . import odk_replay
from .common import OdkReplayCommon


@tagged("post_install", "-at_install")
class TestOdkImport(OdkReplayCommon):
    """The importer against responses recorded from a real ODK Central."""

    def test_first_poll_imports_registrants_with_their_fa(self):
        stats = self.config._run_import()
        self.assertEqual(stats, {"created": 4, "failed": 2})
        amina = self.registrant_of("bank")
        self.assertRecordValues(
            amina,
            [{"name": "Amina Otieno", "is_registrant": True, "phone": "+254700000101"}],
        )
        self.assertRecordValues(
            amina.payment_fa_id,
            [{"kind": "bank", "account_number": "1234567890", "bic": "COBADEFFXXX"}],
        )
        baraka = self.registrant_of("mobile")
        self.assertEqual(baraka.phone, "+254700000102")
        self.assertRecordValues(
            baraka.payment_fa_id,
            [
                {
                    "kind": "mobile",
                    "payment_msisdn": "+254712345678",
                    "provider_code": "MPESA",
                }
            ],
        )
        self.assertEqual(
            self.registrant_of("iban").payment_fa_id.iban, "DE89370400440532013000"
        )
        self.assertRecordValues(
            self.registrant_of("email").payment_fa_id,
            [{"kind": "email", "payment_email": "dalia.wallet@example.org"}],
        )
        # Every FA went through the outbox, marked as an ODK import.
        rows = self.odk_rows()
        self.assertEqual(len(rows), 4)
        self.assertEqual(set(rows.mapped("operation")), {"link"})
        self.assertEqual(rows.partner_id, self.config.record_ids.partner_id)
        self.assertEqual(
            rows.filtered(lambda r: r.partner_id == baraka).phone_number,
            "+254712345678",
        )

    def test_contact_phone_never_becomes_the_payment_number(self):
        self.config._run_import()
        baraka = self.registrant_of("mobile")
        self.assertNotEqual(baraka.phone, baraka.payment_fa_id.payment_msisdn)
        # A bank registrant has a contact phone and no payment number at all.
        amina = self.registrant_of("bank")
        self.assertTrue(amina.phone)
        self.assertFalse(amina.payment_fa_id.payment_msisdn)

    def test_bad_submissions_are_recorded_and_do_not_block_the_others(self):
        self.config._run_import()
        bad = self.record_of("bad_iban")
        self.assertEqual(bad.state, "failed")
        self.assertIn("IBAN", bad.error)
        self.assertFalse(bad.partner_id)
        raw = json.loads(bad.raw_data)
        self.assertEqual(raw["__id"], self.ids["bad_iban"])
        self.assertEqual(raw["payment"]["iban"], "DE00123456789012345678")
        missing = self.record_of("missing_kind")
        self.assertEqual(missing.state, "failed")
        self.assertIn("payment kind is missing", missing.error)
        # Rolled back to their savepoint: no half-made registrant.
        names = self.env["res.partner"].search(
            [("name", "in", ["Emeka Obi", "Fatima Diallo"])]
        )
        self.assertFalse(names)
        self.assertEqual(self.config.failed_count, 2)
        # The watermark moved past them with the good ones.
        self.assertEqual(self.config.watermark, self.fixtures["watermarks"]["initial"])

    def test_watermark_is_the_greatest_processed_timestamp(self):
        self.config._run_import()
        feed = odk_replay.recorded_feed(self.fixtures)
        greatest = max(s["__system"]["submissionDate"] for s in feed)
        self.assertEqual(self.config.watermark, greatest)
        # Paged by two, following Central until the feed ran dry.
        feed_requests = [
            q for _m, p, q in self.replay.requests if p.endswith("/Submissions")
        ]
        self.assertEqual([q.get("$skip") for q in feed_requests], [None, "2", "4", "6"])
        self.assertTrue(
            all(q["$orderby"] == "__system/submissionDate asc" for q in feed_requests)
        )

    def test_deleted_submission_is_not_imported(self):
        self.config._run_import()
        self.assertFalse(self.record_of("deleted"))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Gita Rao")]))

    def test_rerun_imports_nothing_twice(self):
        self.config._run_import()
        partners = self.env["res.partner"].search_count([("is_registrant", "=", True)])
        rows = len(self.odk_rows())
        self.replay.requests.clear()
        stats = self.config._run_import()
        self.assertEqual(stats, {})
        self.assertEqual(
            self.env["res.partner"].search_count([("is_registrant", "=", True)]),
            partners,
        )
        self.assertEqual(len(self.odk_rows()), rows)
        # The second poll asked only for what changed, in ISO with T and Z.
        query = self.replay.requests[-1][2]
        stamp = self.fixtures["watermarks"]["initial"]
        self.assertEqual(
            query["$filter"],
            f"__system/submissionDate gt {stamp} or __system/updatedAt gt {stamp}",
        )

    def test_edit_in_central_updates_the_fa_and_writes_an_outbox_row(self):
        self.config._run_import()
        baraka = self.registrant_of("mobile")
        old_fa = baraka.payment_fa_id
        amina = self.registrant_of("bank")
        amina_fa = amina.payment_fa_id
        amina_rows = self.Outbox.search_count([("partner_id", "=", amina.id)])
        self.central_changes()
        stats = self.config._run_import()
        # Edited (new FA; two FAs removed), reviewed only (nothing to do), one
        # new registrant.
        self.assertEqual(stats, {"updated": 3, "unchanged": 1, "created": 1})
        self.assertEqual(self.registrant_of("mobile"), baraka)
        self.assertEqual(baraka.payment_fa_id.payment_msisdn, "+254799888777")
        self.assertFalse(old_fa.active)
        rows = self._rows(baraka)
        self.assertEqual(len(rows), 2)
        self.assertEqual(rows[-1].channel, "odk")
        self.assertEqual(rows[-1].phone_number, "+254799888777")
        # A new version with the same values is not a new FA.
        self.assertEqual(amina.payment_fa_id, amina_fa)
        self.assertEqual(
            self.Outbox.search_count([("partner_id", "=", amina.id)]), amina_rows
        )
        self.assertEqual(self.registrant_of("new").name, "Hana Sato")
        self.assertEqual(
            self.config.watermark, self.fixtures["watermarks"]["after_edit"]
        )
        self.assertEqual(self.config._run_import(), {})

    def test_edit_removing_the_payment_destination_unlinks_it_in_spar(self):
        self.config._run_import()
        chen, dalia = self.registrant_of("iban"), self.registrant_of("email")
        old_fas = chen.payment_fa_id | dalia.payment_fa_id
        self.drain()
        self.assertEqual(self.spar_fa(chen), chen.payment_fa_id.fa_string)
        # In Central: Chen's payment kind set to none, Dalia's e-mail wallet
        # address removed.
        self.central_changes()
        self.config._run_import()
        for key, partner in (("iban", chen), ("email", dalia)):
            record = self.record_of(key)
            self.assertEqual(record.state, "done", record.error)
            self.assertEqual(record.partner_id, partner)
            self.assertFalse(record.payment_fa_id)
            self.assertFalse(partner.payment_fa_id)
            self.assertEqual(
                self._rows(partner).mapped("operation"), ["link", "unlink"]
            )
            self.assertEqual(self._rows(partner)[-1].channel, "odk")
        # Kept as history, not deleted.
        self.assertEqual(
            old_fas.with_context(active_test=False).mapped("active"), [False, False]
        )
        self.drain()
        self.assertIsNone(self.spar_fa(chen))
        self.assertIsNone(self.spar_fa(dalia))
        # The watermark moved with them; nothing is left to retry.
        self.assertEqual(self.config._run_import(), {})
        self.assertEqual(self.config.failed_count, 2)  # the two bad ones only

    def test_submission_without_payment_destination_creates_a_registrant(self):
        self.central_changes()
        (record,) = self.config._import_instance(self.ids["iban"])
        self.assertEqual(record.state, "done")
        self.assertEqual(record.partner_id.name, "Chen Wei")
        self.assertFalse(record.partner_id.payment_fa_ids)
        self.assertFalse(self.odk_rows())

    def test_failed_import_errors_mask_the_payment_destination(self):
        self.config._run_import()
        error = self.record_of("bad_iban").error
        self.assertIn("IBAN", error)
        self.assertNotIn("DE00123456789012345678", error)
        self.assertIn("'*****678'", error)

    def test_wrong_mapping_fixed_imports_what_failed_at_the_next_pass(self):
        mapping = self.config._mapping()
        self.config.field_mapping = json.dumps(dict(mapping, fa_kind="payment/kind"))
        self.assertEqual(self.config._run_import(), {"failed": 6})
        self.assertEqual(self.config.watermark, self.fixtures["watermarks"]["initial"])
        self.assertFalse(self.odk_rows())
        # The administrator corrects the mapping: the next pass (cron or
        # "Import now") imports the failed ones from their stored data.
        self.config.field_mapping = json.dumps(mapping)
        stats = self.config._run_import()
        self.assertEqual(stats, {"created on retry": 4, "failed on retry": 2})
        self.assertEqual(
            self.registrant_of("mobile").payment_fa_id.payment_msisdn,
            "+254712345678",
        )
        self.assertEqual(len(self.odk_rows()), 4)
        bad = self.record_of("bad_iban")
        self.assertEqual(bad.attempts, 2)
        self.assertIn("IBAN", bad.error)
        # Still failing on its own data: retried later, not at every pass.
        self.assertGreater(bad.retry_at, bad.last_attempt_at)
        self.assertEqual(self.config._run_import(), {})

    def test_cron_retries_failed_submissions_once_the_cause_is_fixed(self):
        # No phone region: national payment numbers cannot be read.
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "")
        self.env.company.country_id = False
        self.config.next_run_at = False
        self.Config._cron_import_all()
        record = self.record_of("mobile")
        self.assertEqual(record.state, "failed")
        self.assertIn("Payment Mobile Number", record.error)
        self.assertNotIn("0712345678", record.error)
        interval = timedelta(minutes=self.config.interval_minutes)
        self.assertEqual(record.retry_at, record.last_attempt_at + interval)
        # The region is configured; time passes; the next cron pass retries.
        self.env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")
        record.retry_at = self.config.next_run_at = fields.Datetime.now()
        self.Config._cron_import_all()
        self.assertEqual(record.state, "done")
        self.assertFalse(record.retry_at)
        self.assertEqual(
            record.partner_id.payment_fa_id.payment_msisdn, "+254712345678"
        )
        self.assertIn("created on retry", self.config.last_run_summary)

    def test_retry_all_failed_from_the_configuration(self):
        self.config._run_import()
        bad = self.record_of("bad_iban")
        raw = json.loads(bad.raw_data)
        raw["payment"]["iban"] = "DE89370400440532013000"
        bad.raw_data = json.dumps(raw)
        self.config.action_retry_failed()
        self.assertEqual(bad.state, "done")
        self.assertEqual(self.record_of("missing_kind").state, "failed")
        self.assertEqual(self.record_of("missing_kind").attempts, 2)

    def test_unusable_stored_data_does_not_stop_the_pass(self):
        self.config._run_import()
        bad, missing = self.record_of("bad_iban"), self.record_of("missing_kind")
        (bad | missing).retry_at = fields.Datetime.now()
        # A correction saved before corrections were checked.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE g2p_odk_import_record SET raw_data = '{not json' WHERE id = %s",
            (bad.id,),
        )
        bad.invalidate_recordset()
        self.central_changes()
        stats = self.config._run_import()
        self.assertEqual(
            stats,
            {"updated": 3, "unchanged": 1, "created": 1, "failed on retry": 2},
        )
        self.assertEqual(bad.state, "failed")
        self.assertIn("not valid JSON", bad.error)
        self.assertEqual(bad.attempts, 2)
        self.assertGreater(bad.retry_at, bad.last_attempt_at)
        self.assertEqual(
            self.config.watermark, self.fixtures["watermarks"]["after_edit"]
        )

    def test_a_broken_correction_is_refused_when_saved(self):
        self.config._run_import()
        bad = self.record_of("bad_iban")
        stored = bad.raw_data
        with (
            self.assertRaisesRegex(ValidationError, "Submission \\(JSON\\)"),
            self.env.cr.savepoint(),
        ):
            bad.raw_data = "{not json"
        with (
            self.assertRaisesRegex(ValidationError, "__id"),
            self.env.cr.savepoint(),
        ):
            bad.raw_data = json.dumps({"__id": "uuid:other"})
        self.assertEqual(bad.raw_data, stored)

    def test_only_admins_retry(self):
        self.config._run_import()
        bad = self.record_of("bad_iban").with_user(self.user_manager)
        with self.assertRaises(AccessError):
            bad.action_retry()
        with self.assertRaises(AccessError):
            bad.action_refetch()
        self.assertEqual(self.record_of("bad_iban").attempts, 1)

    def test_admin_fixes_a_failed_submission_and_retries(self):
        self.config._run_import()
        bad = self.record_of("bad_iban")
        raw = json.loads(bad.raw_data)
        raw["payment"]["iban"] = "DE89 3704 0044 0532 0130 00"
        bad.raw_data = json.dumps(raw)
        bad.action_retry()
        self.assertEqual(bad.state, "done")
        self.assertFalse(bad.error)
        self.assertEqual(bad.attempts, 2)
        self.assertEqual(bad.partner_id.name, "Emeka Obi")
        self.assertEqual(bad.partner_id.payment_fa_id.iban, "DE89370400440532013000")
        self.assertEqual(self._rows(bad.partner_id).channel, "odk")

    def test_retry_of_an_unfixed_submission_fails_again(self):
        self.config._run_import()
        bad = self.record_of("bad_iban")
        bad.action_retry()
        self.assertEqual(bad.state, "failed")
        self.assertEqual(bad.attempts, 2)
        self.assertFalse(bad.partner_id)

    def test_import_one_instance_by_id(self):
        wizard = self.env["g2p.odk.import.instance"].create(
            {"config_id": self.config.id, "instance_id": self.ids["mobile"]}
        )
        wizard.action_import()
        record = self.record_of("mobile")
        self.assertEqual(record.state, "done")
        self.assertEqual(
            record.partner_id.payment_fa_id.payment_msisdn, "+254712345678"
        )
        # Only that one: the feed was not polled, the watermark did not move.
        self.assertEqual(len(self.config.record_ids), 1)
        self.assertFalse(self.config.watermark)
        # Importing it again changes nothing.
        rows = len(self.odk_rows())
        wizard.action_import()
        self.assertEqual(len(self.odk_rows()), rows)

    def test_import_of_a_deleted_instance_says_so(self):
        with self.assertRaisesRegex(UserError, "404"):
            self.config._import_instance(self.ids["deleted"])
        self.assertFalse(self.config.record_ids)

    def test_wrong_password_gives_a_clear_error_and_changes_nothing(self):
        self.config.password = "not-the-password"
        with self.assertRaisesRegex(UserError, "401.*Could not authenticate"):
            self.config.action_import_now()
        self.assertFalse(self.config.record_ids)
        self.assertFalse(self.config.watermark)
        self.assertFalse(self.odk_rows())

    def test_cron_polls_due_configurations_and_survives_a_broken_one(self):
        broken = self.config.copy({"name": "Broken", "password": "not-the-password"})
        (self.config | broken).next_run_at = False
        self.Config._cron_import_all()
        self.assertIn("401", broken.last_error)
        self.assertFalse(broken.record_ids)
        self.assertFalse(broken.watermark)
        self.assertEqual(len(self.config.record_ids), 6)
        self.assertFalse(self.config.last_error)
        self.assertGreater(self.config.next_run_at, self.config.last_run_at)
        # Not due again yet: the next cron run does not poll.
        self.replay.requests.clear()
        self.Config._cron_import_all()
        self.assertFalse(self.replay.requests)

    def test_mapping_is_checked_when_saved(self):
        with self.assertRaises(ValidationError):
            self.config.field_mapping = json.dumps({"first_name": "first_name"})
        with self.assertRaises(ValidationError):
            self.config.field_mapping = json.dumps(
                {"first_name": "a", "fa_kind": "b", "salary": "c"}
            )

    def test_imported_fa_resolves_in_spar(self):
        self.config._run_import()
        baraka = self.registrant_of("mobile")
        self.drain()
        self.assertEqual(self.odk_rows().mapped("state"), ["done"] * 4)
        self.assertEqual(self.spar_fa(baraka), baraka.payment_fa_id.fa_string)


@tagged("post_install", "-at_install")
class TestOdkImportPage(OdkReplayCommon):
    """A page is written in one batch; what the database refuses in it is
    isolated by importing that page one submission at a time."""

    def _recorded(self, key):
        return next(
            s
            for s in odk_replay.recorded_feed(self.fixtures)
            if s["__id"] == self.ids[key]
        )

    def _page(self, *keys):
        """New submissions shaped like the recorded good ones of ``keys``."""
        page = []
        for index, key in enumerate(keys):
            submission = copy.deepcopy(self._recorded(key))
            instance_id = f"uuid:{uuid.uuid4()}"
            submission["__id"] = submission["meta"]["instanceID"] = instance_id
            submission["first_name"] = f"Page{index}"
            page.append(submission)
        return page

    def _import(self, page):
        """Import ``page``; return its outcomes and how many submissions went
        through the one-by-one path."""
        Record = type(self.Record)
        with patch.object(
            Record, "_import_one", autospec=True, side_effect=Record._import_one
        ) as one_by_one:
            outcomes = self.Record._import_page(
                self.config, page, self.config._mapping()
            )
        return outcomes, one_by_one.call_count

    def _records(self, page):
        return [
            self.Record.search(
                [("config_id", "=", self.config.id), ("instance_id", "=", s["__id"])]
            )
            for s in page
        ]

    def test_page_is_imported_in_one_batch(self):
        page = self._page("bank", "mobile", "iban", "email")
        with self.assertLogs(
            "odoo.addons.g2p_odk_importer_fa.models.odk_import_record", "WARNING"
        ) as logs:
            bad = copy.deepcopy(page[1])
            bad["__id"] = bad["meta"]["instanceID"] = f"uuid:{uuid.uuid4()}"
            bad["payment"]["fa_kind"] = "cheque"
            outcomes, one_by_one = self._import([*page, bad])
        # A submission the data refuses is recorded without breaking the batch.
        self.assertEqual(outcomes, ["created"] * 4 + ["failed"])
        self.assertEqual(one_by_one, 0)
        self.assertEqual(len(logs.records), 1)
        records = self._records([*page, bad])
        self.assertEqual([r.state for r in records], ["done"] * 4 + ["failed"])
        self.assertIn("unknown payment kind", records[-1].error)
        partners = self.env["res.partner"].concat(*(r.partner_id for r in records))
        self.assertEqual(len(partners), 4)
        self.assertEqual(
            [r.payment_fa_id for r in records[:4]],
            [p.payment_fa_id for p in partners],
        )
        rows = self.odk_rows()
        self.assertEqual(rows.partner_id, partners)
        self.assertEqual(set(rows.mapped("operation")), {"link"})
        # Importing the same page again finds every version processed already.
        rows_before = len(rows)
        self.assertEqual(self._import(page), (["unchanged"] * 4, 0))
        self.assertEqual(len(self.odk_rows()), rows_before)

    @mute_logger(
        "odoo.sql_db", "odoo.addons.g2p_odk_importer_fa.models.odk_import_record"
    )
    def test_page_the_database_refuses_is_imported_one_by_one(self):
        page = self._page("bank", "mobile", "iban", "email")
        # Valid JSON and a valid FA, but PostgreSQL cannot store a NUL
        # character: only writing the page finds out.
        page[2]["first_name"] = "Null\x00Byte"
        outcomes, one_by_one = self._import(page)
        self.assertEqual(outcomes, ["created", "created", "failed", "created"])
        self.assertEqual(one_by_one, 4)
        good = self._records(page[:2] + page[3:])
        self.assertEqual([r.state for r in good], ["done"] * 3)
        for record in good:
            self.assertTrue(record.partner_id.payment_fa_id)
            self.assertEqual(self._rows(record.partner_id).channel, "odk")
        bad = self._records(page)[2]
        self.assertEqual(bad.state, "failed")
        self.assertIn("NUL", bad.error)
        self.assertFalse(bad.partner_id)
        self.assertEqual(json.loads(bad.raw_data)["first_name"], "Null\x00Byte")
        self.assertEqual(len(self.odk_rows()), 3)
        self.assertFalse(self.env["res.partner"].search([("name", "like", "Null%")]))
