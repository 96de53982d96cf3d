# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..models.res_config_settings import GROUPS_GET_FA_PARAM
from .common import OpenG2PCommon


@tagged("post_install", "-at_install")
class TestGroups(OpenG2PCommon):
    def test_a_group_gets_no_spar_id_and_no_fa(self):
        group = self._group("Household Without FA", self._nid())
        self.assertFalse(group.spar_id)
        with self.assertRaisesRegex(ValidationError, "is a group"):
            self._mobile_fa(group, "+254712345010")
        self.assertFalse(group.payment_fa_id)
        self.assertFalse(self._rows(group))

    def test_the_setting_lets_groups_have_fas(self):
        group = self._group("Household With FA", self._nid())
        self.env["res.config.settings"].create(
            {"g2p_spar_groups_get_fa": True}
        ).execute()
        self.assertTrue(self.env["ir.config_parameter"].get_param(GROUPS_GET_FA_PARAM))
        self.assertEqual(group.spar_id, f"token:{group.registrant_ref}@nid")
        fa = self._mobile_fa(group, "+254712345011")
        self.drain()
        self.assertEqual(self.spar_fa(group), fa.fa_string)

    def test_group_shows_its_heads_payment_state(self):
        head = self._individual("Head Of Household", self._nid())
        fa = self._mobile_fa(head, "+254712345012")
        group = self._group("Household Paid Via Head")
        head_kind = self.env.ref("g2p_registry_membership.group_membership_kind_head")
        group.group_membership_ids = [
            Command.create(
                {"individual": head.id, "kind": [Command.link(head_kind.id)]}
            )
        ]
        self.drain()
        group.invalidate_recordset()
        viewed = group.with_user(self.ui_viewer)
        self.assertRecordValues(
            viewed,
            [
                {
                    "g2p_head_id": head.id,
                    "g2p_head_fa_masked": fa.fa_masked,
                    "g2p_head_spar_state": "verified",
                }
            ],
        )
