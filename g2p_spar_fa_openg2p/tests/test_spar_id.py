# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..lib.openg2p_rules import g2p_connect_payee_fa
from ..models.res_config_settings import SPAR_ID_TYPE_PARAM
from .common import PAYEE_PREFIX, PAYEE_SUFFIX, OpenG2PCommon


@tagged("post_install", "-at_install")
class TestSparIdFromRegIds(OpenG2PCommon):
    def _reg_id(self, partner):
        return partner.reg_ids.filtered(lambda r: r.id_type == self.national_id)

    def test_spar_id_is_what_the_payment_manager_sends_and_resolves(self):
        nid = self._nid()
        partner = self._individual("Asha Payee", nid)
        self.assertEqual(partner.registrant_ref, nid)
        # g2p_payment_g2p_connect's _get_payee_fa for payee ID type reg_id.
        payee_fa = g2p_connect_payee_fa(PAYEE_PREFIX, nid, PAYEE_SUFFIX)
        self.assertEqual(partner.spar_id, payee_fa)
        fa = self._mobile_fa(partner, "+254712345001")
        self.drain()
        self.assertEqual(self.spar_fa(partner, payee_fa), fa.fa_string)

    def test_a_changed_id_moves_the_mapping_in_order(self):
        old_nid, new_nid = self._nid(), self._nid()
        partner = self._individual("Baraka Moved", old_nid)
        old_spar_id = partner.spar_id
        fa = self._mobile_fa(partner, "+254712345002")
        self.drain()
        self._reg_id(partner).value = new_nid
        self.assertEqual(partner.spar_id, f"{PAYEE_PREFIX}{new_nid}{PAYEE_SUFFIX}")
        rows = self._rows(partner)
        self.assertEqual(
            [(r.operation, r.spar_id) for r in rows[-2:]],
            [("unlink", old_spar_id), ("link", partner.spar_id)],
        )
        self.drain()
        self.assertIsNone(self.spar_fa(partner, old_spar_id))
        self.assertEqual(self.spar_fa(partner), fa.fa_string)
        self.assertEqual(self.spar_table_row(partner)["fa_value"], fa.fa_string)

    def test_removing_the_id_removes_the_mapping(self):
        partner = self._individual("Chausiku Removed", self._nid())
        spar_id = partner.spar_id
        self._mobile_fa(partner, "+254712345003")
        self.drain()
        self._reg_id(partner).unlink()
        self.assertFalse(partner.registrant_ref)
        self.assertFalse(partner.spar_id)
        self.assertEqual(self._rows(partner)[-1:].operation, "unlink")
        self.drain()
        self.assertIsNone(self.spar_fa(partner, spar_id))

    def test_no_sequence_number_and_no_id_of_another_type(self):
        partner = self._individual("Dalmas Without NID")
        self.env["g2p.reg.id"].create(
            {"partner_id": partner.id, "id_type": self.other_id.id, "value": "TAX-1"}
        )
        self.assertFalse(partner.registrant_ref)
        self.assertFalse(partner.spar_id)
        # The ID is edited where OpenG2P keeps it, not typed over.
        partner.registrant_ref = "TYPED-OVER"
        self.assertFalse(partner.registrant_ref)
        nid = self._nid()
        self.env["g2p.reg.id"].create(
            {"partner_id": partner.id, "id_type": self.national_id.id, "value": nid}
        )
        self.assertEqual(partner.registrant_ref, nid)

    def test_two_registrants_cannot_share_a_national_id(self):
        nid = self._nid()
        self._individual("Esther First", nid)
        with self.assertRaisesRegex(ValidationError, "would share the SPAR ID"):
            self._individual("Esther Second", nid)

    def test_choosing_the_id_type_moves_existing_mappings(self):
        self.env["ir.config_parameter"].set_param(SPAR_ID_TYPE_PARAM, "")
        nid = self._nid()
        partner = self._individual("Fatuma Before", nid, registrant_ref=f"R{nid}")
        old_spar_id = partner.spar_id
        fa = self._mobile_fa(partner, "+254712345004")
        self.drain()
        self.env["res.config.settings"].create(
            {"g2p_spar_id_type_id": self.national_id.id}
        ).execute()
        self.assertEqual(partner.registrant_ref, nid)
        self.drain()
        self.assertIsNone(self.spar_fa(partner, old_spar_id))
        self.assertEqual(
            self.spar_fa(
                partner, g2p_connect_payee_fa(PAYEE_PREFIX, nid, PAYEE_SUFFIX)
            ),
            fa.fa_string,
        )
