# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_base.tests.test_partner_merge import (
    create_merger,
    merge_contacts,
)

from .common import SparSyncCommon


@tagged("post_install", "-at_install")
class TestPartnerMerge(SparSyncCommon):
    """A merge leaves SPAR mapping the survivor only, and loses no row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.merger = create_merger(cls)

    def setUp(self):
        super().setUp()
        self.keep = self._registrant("Achieng Otieno")
        self.gone = self._registrant("Achieng Otieno (duplicate)")

    def _history(self, partner):
        return self.FA.with_context(active_test=False).search(
            [("partner_id", "=", partner.id)]
        )

    def test_merged_away_spar_id_is_unlinked_and_history_kept(self):
        kept = self._mobile_fa(self.keep, "+254711120001")
        gone_fa = self._mobile_fa(self.gone, "+254711120002")
        self.drain()
        keep_rows, gone_rows = self._rows(self.keep), self._rows(self.gone)
        gone_spar_id = self.gone.spar_id
        self.assertEqual(self.spar_fa(self.gone), "phone:+254711120002")

        merge_contacts(self.merger, self.keep, self.gone)

        self.assertFalse(self.gone.exists())
        self.assertEqual(self.keep.payment_fa_id, kept)
        self.assertEqual(self._history(self.keep), kept | gone_fa)
        rows = self._rows(self.keep)
        self.assertEqual(rows[:1], keep_rows)
        self.assertEqual(rows[1:2], gone_rows)
        unlink = rows[2:]
        self.assertEqual(unlink.mapped("operation"), ["unlink"])
        self.assertEqual(unlink.spar_id, gone_spar_id)
        self.assertEqual(rows.mapped("sequence"), sorted(set(rows.mapped("sequence"))))

        self.drain()

        self.assertEqual(unlink.state, "done")
        self.assertIsNone(self.spar_fa(self.keep, gone_spar_id))
        self.assertEqual(self.spar_fa(self.keep), "phone:+254711120001")
        # The survivor's next change still reaches SPAR under its own ID.
        self._mobile_fa(self.keep, "+254711120005")
        self.drain()
        self.assertEqual(self.spar_fa(self.keep), "phone:+254711120005")
        self.assertEqual(self._rows(self.keep)[-1].verification, "verified")

    def test_survivor_without_fa_is_linked_to_the_adopted_one(self):
        self._mobile_fa(self.gone, "+254711120003")
        self.drain()
        gone_spar_id = self.gone.spar_id

        merge_contacts(self.merger, self.keep, self.gone)
        self.drain()

        self.assertEqual(self.keep.payment_fa_id.payment_msisdn, "+254711120003")
        self.assertEqual(self.spar_fa(self.keep), "phone:+254711120003")
        self.assertIsNone(self.spar_fa(self.keep, gone_spar_id))
        self.assertEqual(
            set(self._rows(self.keep).mapped("state")), {"done"}, "nothing left over"
        )

    def test_merge_waits_for_rows_being_sent(self):
        gone_fa = self._mobile_fa(self.gone, "+254711120004")
        self.Outbox._claim(100)  # a dispatch job took the row
        self.assertEqual(self._rows(self.gone).state, "sending")

        with self.assertRaisesRegex(UserError, "being sent to SPAR"):
            merge_contacts(self.merger, self.keep, self.gone)

        self.assertEqual(self.gone.payment_fa_id, gone_fa)
        self.assertEqual(len(self._rows(self.gone)), 1)
