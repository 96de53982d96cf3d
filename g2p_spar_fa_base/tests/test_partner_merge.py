# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PaymentFaCommon

MERGER_GROUPS = ("base.group_partner_manager", "g2p_spar_fa_base.group_fa_manager")


def create_merger(case):
    """A user who may merge registrants (``case``: a test class with
    ``_create_user``)."""
    merger = case._create_user("fa_merger", *MERGER_GROUPS)
    # Inside OpenG2P's registry (the OpenG2P part of make test) only its
    # administrators may delete registrants, which a merge does.
    registry_admin = case.env.ref(
        "g2p_registry_base.group_g2p_admin", raise_if_not_found=False
    )
    if registry_admin:
        merger.groups_id += registry_admin
    # The merge posts a note on the survivor, signed with this address.
    merger.email = "fa.merger@example.org"
    return merger


def merge_contacts(user, dst, *sources):
    """Merge ``sources`` into ``dst`` with Odoo's wizard, as ``user`` would
    from the contacts list."""
    partners = dst | dst.browse([source.id for source in sources])
    wizard = (
        dst.env["base.partner.merge.automatic.wizard"]
        .with_user(user)
        .with_context(active_model="res.partner", active_ids=partners.ids)
        .create({"dst_partner_id": dst.id})
    )
    return wizard.action_merge()


@tagged("post_install", "-at_install")
class TestPartnerMerge(PaymentFaCommon):
    """Odoo's contact merge keeps every payment FA, one of them current."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.merger = create_merger(cls)
        cls.keep = cls._create_registrant("Achieng Otieno")
        cls.gone = cls._create_registrant("Achieng Otieno (duplicate)")

    def _bank_fa(self, partner, account_number):
        return self._create_fa(
            partner, kind="bank", account_number=account_number, bank_id=self.bank.id
        )

    def _history(self, partner):
        return self.FA.with_context(active_test=False).search(
            [("partner_id", "=", partner.id)]
        )

    def test_survivor_keeps_its_fa_and_the_history_of_both(self):
        kept = self._bank_fa(self.keep, "1111111")
        old = self._bank_fa(self.gone, "2222222")
        gone_current = self._bank_fa(self.gone, "3333333")

        merge_contacts(self.merger, self.keep, self.gone)

        self.assertFalse(self.gone.exists())
        self.assertEqual(self.keep.payment_fa_id, kept)
        self.assertEqual(self._history(self.keep), kept | old | gone_current)
        self.assertFalse((old | gone_current).filtered("active"))
        self.assertEqual(gone_current.fa_string, "account_no:3333333@COBADEFFXXX")

    def test_survivor_without_fa_adopts_the_merged_away_one(self):
        gone_fa = self._bank_fa(self.gone, "4444444")

        merge_contacts(self.merger, self.keep, self.gone)

        adopted = self.keep.payment_fa_id
        self.assertTrue(adopted)
        self.assertNotEqual(adopted, gone_fa)
        self.assertEqual(adopted.fa_string, gone_fa.fa_string)
        self.assertEqual(adopted.create_uid, self.merger)
        self.assertEqual(self._history(self.keep), adopted | gone_fa)
        self.assertFalse(gone_fa.active)

    def test_registrant_cannot_be_merged_into_a_plain_contact(self):
        contact = self.env["res.partner"].create({"name": "Achieng Otieno"})
        gone_fa = self._create_bank_fa(self.gone)

        with self.assertRaisesRegex(UserError, "not a registrant"):
            merge_contacts(self.merger, contact, self.gone)

        self.assertEqual(self.gone.payment_fa_id, gone_fa)

    def test_merging_fas_needs_an_fa_manager(self):
        partner_manager = self._create_user(
            "partner_only", "base.group_partner_manager"
        )
        partner_manager.email = "partner.manager@example.org"
        gone_fa = self._create_bank_fa(self.gone)

        with self.assertRaisesRegex(AccessError, "FA managers"):
            merge_contacts(partner_manager, self.keep, self.gone)

        self.assertEqual(self.gone.payment_fa_id, gone_fa)
