# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import OpenG2PHttpCase


@tagged("post_install", "-at_install")
class TestEnumeratorFields(OpenG2PHttpCase):
    """OpenG2P's g2p_enumerator and our portal each keep their enumerator
    field after a restart (this runs in a second Odoo process, see
    scripts/openg2p.py): until 17.0.1.0.2 both were named
    ``enumerator_user_id`` and whichever module loaded last replaced the
    other's."""

    def test_both_enumerator_fields_survive(self):
        fields = self.env["res.partner"]._fields
        ours = fields["fa_enumerator_user_id"]
        self.assertEqual((ours.type, ours.comodel_name), ("many2one", "res.users"))
        if "g2p.enumerator" not in self.env:
            self.skipTest("OpenG2P's g2p_enumerator is not installed")
        theirs = fields["enumerator_user_id"]
        self.assertEqual(theirs.type, "char")
        self.assertEqual(theirs.related, "enumerator_id.enumerator_user_id")

    def test_portal_and_openg2p_enumerator_side_by_side(self):
        partner = self._individual("Kamau Enumerated", self._nid())
        partner.fa_enumerator_user_id = self.enumerator
        if "g2p.enumerator" in self.env:
            record = self.env["g2p.enumerator"].create(
                {"enumerator_user_id": "odk-user-7"}
            )
            partner.enumerator_id = record
            self.assertEqual(partner.enumerator_user_id, "odk-user-7")
        self.authenticate("enumerator", "enumerator")
        listing = self.url_open("/my/registrants")
        self.assertIn("Kamau Enumerated", listing.text)
        self.assertEqual(
            self.url_open(f"/my/registrants/{partner.id}").status_code, 200
        )
