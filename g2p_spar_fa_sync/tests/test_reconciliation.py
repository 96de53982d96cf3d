# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import spar_protocol
from ..models import spar_reconciliation
from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestReconciliation(SparSyncCommon):
    """Drift between our FAs and what SPAR resolves is found and named."""

    def test_drift_of_each_kind_is_reported(self):
        in_sync, missing, different, orphan, late = (
            self._registrant(name) for name in ("Sync", "Miss", "Diff", "Orph", "Late")
        )
        for index, partner in enumerate((in_sync, missing, different, orphan)):
            self._mobile_fa(partner, f"+25471111000{index}")
        self.drain()
        client = self._client()
        client.unlink([missing.spar_id])
        client.update(
            [spar_protocol.FaMapping("d", different.spar_id, "phone:+254799999999")]
        )
        orphan.payment_fa_id.action_remove()
        self._rows(orphan)[-1].action_cancel()  # the unlink never went out
        self._mobile_fa(late, "+254711110009")  # still on its way: not drift

        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()

        self.assertEqual(run.state, "done")
        drift = {d.partner_id: d for d in run.drift_ids}
        self.assertEqual(drift[missing].kind, "missing")
        self.assertEqual(drift[different].kind, "different")
        self.assertEqual(drift[orphan].kind, "orphan")
        self.assertNotIn(in_sync, drift)
        self.assertNotIn(late, drift)
        self.assertNotIn("799999999", drift[different].spar_fa_masked)

    def test_pages_of_registrants_are_all_checked(self):
        partners = [self._registrant(f"Paged {i}") for i in range(5)]
        for index, partner in enumerate(partners):
            self._mobile_fa(partner, f"+25471111002{index}")
        self.drain()
        self._client().unlink([partners[-1].spar_id])

        run = self.env["g2p.spar.reconciliation"].create({})
        with patch.object(spar_reconciliation, "RESOLVE_BATCH", 2):
            run._run()

        self.assertEqual(run.state, "done")
        self.assertGreaterEqual(run.checked_count, len(partners))
        self.assertIn(partners[-1], run.drift_ids.partner_id)
        self.assertFalse(set(partners[:-1]) & set(run.drift_ids.partner_id))

    def _new_spar_ids(self, *partners, unlink_old=()):
        """Give ``partners`` a new registrant ID; the old SPAR ID of those in
        ``unlink_old`` is unlinked in SPAR, of the others it is left mapped.
        Returns the old SPAR IDs."""
        old_ids = {partner: partner.spar_id for partner in partners}
        for partner in partners:
            partner.registrant_ref += "X"  # a new SPAR ID: unlink old, link new
            if partner not in unlink_old:
                self._rows(partner).filtered(
                    lambda row: row.operation == "unlink"
                ).action_cancel()
        self.drain()
        return old_ids

    def _run_with_orphans(self):
        run = self.env["g2p.spar.reconciliation"].create({})
        with patch.object(spar_reconciliation, "RESOLVE_BATCH", 1):
            run._run()
        self.assertEqual(run.state, "done")
        return run, run.drift_ids.filtered(lambda d: d.kind == "orphan_mapping")

    def test_mapping_under_an_id_no_registrant_holds_is_reported(self):
        left, cleaned = self._registrant("Left"), self._registrant("Cleaned")
        for index, partner in enumerate((left, cleaned)):
            self._mobile_fa(partner, f"+25471111003{index}")
        self.drain()
        old_ids = self._new_spar_ids(left, cleaned, unlink_old=cleaned)

        run, orphans = self._run_with_orphans()

        self.assertEqual(orphans.mapped("spar_id"), [old_ids[left]])
        self.assertEqual(orphans.partner_id, left)
        self.assertEqual(
            orphans.spar_fa_masked, spar_protocol.redact("phone:+254711110030")
        )
        self.assertFalse(run.drift_ids - orphans)
        self.assertEqual(self.spar_fa(left), "phone:+254711110030")

    def test_orphan_mapping_is_unlinked_by_a_manager(self):
        partner = self._registrant("Orphaned")
        self._mobile_fa(partner, "+254711110040")
        self.drain()
        old_id = self._new_spar_ids(partner)[partner]
        self.assertEqual(self.spar_fa(partner, old_id), "phone:+254711110040")
        orphans = self._run_with_orphans()[1]
        self.assertEqual(orphans.spar_id, old_id)

        with self.assertRaises(AccessError):
            orphans.with_user(self.user_viewer).action_unlink_in_spar()
        self.env.ref("g2p_spar_fa_sync.action_drift_unlink_in_spar").with_user(
            self.user_manager
        ).with_context(active_model=orphans._name, active_ids=orphans.ids).run()
        self.drain()

        self.assertIsNone(self.spar_fa(partner, old_id))
        self.assertEqual(self.spar_fa(partner), "phone:+254711110040")
        self.assertEqual(self._rows(partner)[-1].spar_id, old_id)
        self.assertFalse(self._run_with_orphans()[1])

    def test_only_orphan_mappings_are_unlinked_from_a_drift_line(self):
        partner = self._registrant("Still here")
        self._mobile_fa(partner, "+254711110050")
        self.drain()
        self._client().unlink([partner.spar_id])
        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()
        missing = run.drift_ids.filtered(lambda d: d.partner_id == partner)
        self.assertEqual(missing.kind, "missing")

        with self.assertRaisesRegex(UserError, "Only orphan mappings"):
            missing.with_user(self.user_manager).action_unlink_in_spar()
        self.assertEqual(len(self._rows(partner)), 1)

    def test_spar_unreachable_fails_the_run_with_a_reason(self):
        self._mobile_fa(self._registrant(), "+254711110010")
        self.drain()
        self.env["ir.config_parameter"].set_param(
            "g2p_spar_fa_sync.spar_url", "http://127.0.0.1:9"
        )
        run = self.env["g2p.spar.reconciliation"].create({})
        run._run()
        self.assertEqual(run.state, "failed")
        self.assertIn("failed in transit", run.error)

    def test_starting_a_run_queues_its_job(self):
        runs = self.env["g2p.spar.reconciliation"]
        with trap_jobs() as trap:
            runs.action_start()
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(runs.search([], limit=1).state, "done")
