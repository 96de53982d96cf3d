# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy

from lxml import etree

from odoo import api, fields, models

from odoo.addons.g2p_spar_fa_base.lib import fa_format
from odoo.addons.g2p_spar_fa_ui.models.res_partner import SPAR_STATES

from .res_config_settings import GROUPS_GET_FA_PARAM, SPAR_ID_TYPE_PARAM

VIEWER = "g2p_spar_fa_base.group_fa_viewer"
PAYMENT_PAGE = "g2p_payment_fa"
# Fields the tab's conditions read, added invisible where the form lacks them.
PAGE_CONDITION_FIELDS = ("is_registrant", "spar_id", "payment_fa_id")


class ResPartner(models.Model):
    _inherit = "res.partner"

    g2p_head_id = fields.Many2one(
        "res.partner",
        string="Group Head",
        compute="_compute_g2p_head",
        help="The member OpenG2P pays for the group.",
    )
    g2p_head_fa_masked = fields.Char(
        string="Head's Payment Address",
        compute="_compute_g2p_head",
        groups=VIEWER,
    )
    g2p_head_spar_state = fields.Selection(
        SPAR_STATES,
        string="Head's SPAR State",
        compute="_compute_g2p_head",
        groups=VIEWER,
    )

    # ---- the SPAR ID follows OpenG2P's registrant IDs

    @api.model
    def _spar_id_type_id(self):
        """The id of the g2p.id.type whose value is the registrant ID, or 0
        (a cached parameter: every registrant write asks)."""
        params = self.env["ir.config_parameter"].sudo()
        return int(params.get_param(SPAR_ID_TYPE_PARAM) or 0)

    @api.model
    def _spar_id_type(self):
        return self.env["g2p.id.type"].sudo().browse(self._spar_id_type_id()).exists()

    @api.model
    def _next_registrant_refs(self, count):
        """With an ID type chosen, registrant IDs come from ``reg_ids`` only:
        a sequence number would be a SPAR ID no payment names."""
        if self._spar_id_type_id():
            return [False] * count
        return super()._next_registrant_refs(count)

    def _reg_id_value(self, id_type):
        """The registrant's ID of ``id_type`` as a registrant ID; a value
        that cannot be one is returned as is, for the registrant's write to
        refuse it with an error naming the field."""
        entry = self.reg_ids.filtered(lambda reg_id: reg_id.id_type == id_type)[:1]
        try:
            return (
                entry.value and fa_format.normalize_registrant_id(entry.value) or False
            )
        except fa_format.FaValidationError:
            return entry.value

    def _follow_spar_id_type(self):
        """Make each registrant's ID the value of its ``reg_ids`` entry of the
        chosen type. A changed ID moves the mapping in SPAR (unlink the old
        SPAR ID, link the new one, in that order: g2p_spar_fa_sync); a
        removed entry removes the mapping."""
        id_type = self._spar_id_type()
        if not id_type:
            return
        for partner in self.filtered("is_registrant"):
            value = partner._reg_id_value(id_type)
            if partner.registrant_ref != value:
                partner.with_context(g2p_follow_reg_ids=True).write(
                    {"registrant_ref": value}
                )

    @api.model
    def _follow_spar_id_type_everywhere(self):
        self.sudo().with_context(active_test=False).search(
            [("is_registrant", "=", True)]
        )._follow_spar_id_type()

    def write(self, vals):
        if (
            "registrant_ref" in vals
            and not self.env.context.get("g2p_follow_reg_ids")
            and self._spar_id_type_id()
        ):
            # The registrant ID is the reg_ids value: edit that instead.
            vals = {k: v for k, v in vals.items() if k != "registrant_ref"}
        res = super().write(vals)
        if vals.get("is_registrant"):
            self._follow_spar_id_type()
        return res

    @api.model_create_multi
    def create(self, vals_list):
        if not self._spar_id_type_id():
            return super().create(vals_list)
        partners = super().create(
            [
                {k: v for k, v in vals.items() if k != "registrant_ref"}
                for vals in vals_list
            ]
        )
        # reg_ids created with the registrant set its ID while create still
        # protected the precomputed SPAR ID from recomputation: do it now.
        partners._follow_spar_id_type()
        self.env.add_to_compute(self._fields["spar_id"], partners)
        partners._check_spar_id_unique()
        return partners

    # ---- groups (households)

    @api.model
    def _groups_get_fa(self):
        params = self.env["ir.config_parameter"].sudo()
        return bool(params.get_param(GROUPS_GET_FA_PARAM))

    @api.depends("is_registrant", "registrant_ref", "is_group")
    def _compute_spar_id(self):
        """OpenG2P pays a group through its head: a group has no SPAR ID of
        its own unless the setting says groups get FAs."""
        res = super()._compute_spar_id()
        if not self._groups_get_fa():
            self.filtered("is_group").spar_id = False
        return res

    @api.depends("group_membership_ids.kind", "group_membership_ids.individual")
    def _compute_g2p_head(self):
        head_kind = self.env.ref(
            "g2p_registry_membership.group_membership_kind_head",
            raise_if_not_found=False,
        )
        viewer = self.user_has_groups(VIEWER)
        for partner in self:
            # Who heads a group is no secret to whoever sees the group.
            members = partner.sudo().group_membership_ids if partner.is_group else []
            head = members and members.filtered(
                lambda member: head_kind in member.kind
            )[:1].individual.with_env(self.env)
            partner.g2p_head_id = head or False
            partner.g2p_head_fa_masked = (
                viewer and head and head.sudo().payment_fa_id.fa_masked or False
            )
            partner.g2p_head_spar_state = (
                viewer and head and head.sudo().spar_state or False
            )

    # ---- OpenG2P's forms show the Payment tab of base.view_partner_form

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """Fill the empty Payment tab our views put on OpenG2P's forms
        (views/res_partner_views.xml) with the one the
        suite shows on base.view_partner_form, built from all of its
        inheriting views: one definition of the tab, whatever addon extends
        it, instead of a copy that would drift."""
        arch, view = super()._get_view(view_id, view_type, **options)
        if view_type != "form" or not view:
            return arch, view
        placeholder = arch.find(f".//page[@name='{PAYMENT_PAGE}']")
        if placeholder is None or len(placeholder):
            return arch, view
        base_form = self.env.ref("base.view_partner_form").sudo()
        source = base_form._get_combined_arch().find(f".//page[@name='{PAYMENT_PAGE}']")
        if source is None:
            return arch, view
        for child in source:
            placeholder.append(copy.deepcopy(child))
        present = {node.get("name") for node in arch.iter("field")}
        for name in PAGE_CONDITION_FIELDS:
            if name not in present:
                placeholder.append(etree.Element("field", name=name, invisible="1"))
        return arch, view
