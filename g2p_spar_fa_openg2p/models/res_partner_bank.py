# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, models

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.exceptions import FaInputError

FOLLOW_PARAM = "g2p_spar_fa_openg2p.follow_bank_accounts"


class ResPartnerBank(models.Model):
    """With "follow bank account changes" on, a registrant's payment FA
    follows the bank account that pays them (the first of ``bank_ids``).

    The FA follows only while it is that account's FA, or the registrant has
    none: an FA given through another channel (the Payment tab, the portal,
    ODK) is the registrant's choice and no bank account edit replaces it.
    Every change goes through the FA model, recorded on the bank account
    channel, so it is validated like any other and reaches SPAR in order. A
    bank account the FA model refuses is refused with its reason, and the
    registrant's FA stays as it was.
    """

    _inherit = "res.partner.bank"

    @api.model_create_multi
    def create(self, vals_list):
        partners = self.env["res.partner"].browse(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        )
        before = self._paying_fa_values(partners)
        accounts = super().create(vals_list)
        self._follow(partners, before)
        return accounts

    def write(self, vals):
        partners = self.partner_id
        if vals.get("partner_id"):
            partners |= self.env["res.partner"].browse(vals["partner_id"])
        before = self._paying_fa_values(partners)
        res = super().write(vals)
        self._follow(partners, before)
        return res

    def unlink(self):
        partners = self.partner_id
        before = self._paying_fa_values(partners)
        res = super().unlink()
        self._follow(partners, before)
        return res

    @api.model
    def _followed(self, partners):
        """The registrants whose FA follows their bank accounts now."""
        if not partners or not self.env["ir.config_parameter"].sudo().get_param(
            FOLLOW_PARAM
        ):
            return partners.browse()
        return partners.sudo().filtered(
            lambda p: p.is_registrant and not p.is_group and p.active
        )

    @api.model
    def _paying_fa_values(self, partners):
        """{partner id: FA values of the account that pays them, or None}."""
        backfill = self.env["g2p.payment.fa.backfill"]
        return {
            partner.id: backfill._candidate(partner, "bank")
            for partner in self._followed(partners)
        }

    @api.model
    def _follow(self, partners, before):
        """Make the FAs of ``partners`` follow their bank accounts, given
        the FA values their paying account gave ``before`` the change."""
        partners = self._followed(partners).filtered(lambda p: p.id in before)
        if not partners:
            return
        partners.invalidate_recordset(["bank_ids"])
        fa_model = self.env["g2p.payment.fa"].sudo()
        backfill = self.env["g2p.payment.fa.backfill"]
        settings = fa_model._get_fa_settings()
        creating, removed = [], fa_model.browse()
        for partner in partners:
            after = backfill._candidate(partner, "bank")
            old = before[partner.id]
            if after == old:
                continue
            current = partner.payment_fa_id
            if current and not (old and backfill._holds(current, old, settings)):
                continue
            if after is None:
                removed |= current
            elif not (current and backfill._holds(current, after, settings)):
                creating.append((partner, dict(after, partner_id=partner.id)))
        with change.recording(self.env, change.ChangeContext(change.BANK_ACCOUNT)):
            for partner, vals in creating:
                try:
                    fa_model.create([vals])
                except FaInputError as exc:
                    raise FaInputError(
                        _(
                            "Bank account of %(registrant)s: %(error)s",
                            registrant=partner.display_name,
                            error=exc.args[0],
                        ),
                        _(
                            "Bank account of %(registrant)s: %(error)s",
                            registrant=partner.display_name,
                            error=exc.redacted,
                        ),
                    ) from exc
            removed.action_remove()
