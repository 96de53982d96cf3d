# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.tests import TransactionCase

from ..lib.fa_presets import PRESET_SHORT


class PaymentFaCommon(TransactionCase):
    """Users per FA group, a bank with a BIC and a registrant factory.

    The phone region is pinned to Kenya so that national numbers do not
    depend on the country of the database's company. The suites derived from
    this one assert FA strings in the G2P Connect short style, so they pin
    that preset; the OpenG2P strategies (a new database's default) have
    their own tests, which set it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")
        cls.env["ir.config_parameter"].set_param("g2p_spar_fa.fa_preset", PRESET_SHORT)
        cls.FA = cls.env["g2p.payment.fa"]
        cls.bank = cls.env["res.bank"].create(
            {"name": "Test Commerzbank", "bic": "COBADEFFXXX"}
        )
        cls.user_plain = cls._create_user("fa_plain")
        cls.user_viewer = cls._create_user(
            "fa_viewer", "g2p_spar_fa_base.group_fa_viewer"
        )
        cls.user_manager = cls._create_user(
            "fa_manager", "g2p_spar_fa_base.group_fa_manager"
        )

    @classmethod
    def _create_user(cls, login, *groups):
        group_ids = [cls.env.ref(xmlid).id for xmlid in ("base.group_user", *groups)]
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "groups_id": [Command.set(group_ids)],
                }
            )
        )

    @classmethod
    def _create_registrant(cls, name="Test Registrant", **vals):
        return cls.env["res.partner"].create(
            {"name": name, "is_registrant": True, **vals}
        )

    def _create_fa(self, partner, **vals):
        return self.FA.create({"partner_id": partner.id, **vals})

    def _create_bank_fa(self, partner, **vals):
        return self._create_fa(
            partner,
            kind="bank",
            account_number="1234567",
            bank_id=self.bank.id,
            **vals,
        )
