# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import itertools

from odoo import Command

from odoo.addons.g2p_spar_fa_ui.tests.common import FaUiCommon, FaUiHttpCase

from ..models.res_config_settings import SPAR_ID_TYPE_PARAM

_values = itertools.count(1)
# As an OpenG2P G2P Connect payment manager would be set up: payee ID type
# "Registrant ID", prefix "token:", suffix "@nid".
PAYEE_PREFIX, PAYEE_SUFFIX = "token:", "@nid"


class OpenG2PCommon(FaUiCommon):
    """OpenG2P registrants whose national ID is their SPAR ID's {id}."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.national_id = cls.env["g2p.id.type"].create({"name": "SPAR Test NID"})
        cls.other_id = cls.env["g2p.id.type"].create({"name": "SPAR Test Tax ID"})
        params = cls.env["ir.config_parameter"]
        params.set_param("g2p_spar_fa.id_format", f"{PAYEE_PREFIX}{{id}}{PAYEE_SUFFIX}")
        params.set_param(SPAR_ID_TYPE_PARAM, str(cls.national_id.id))

    def _nid(self):
        """A national ID no other run has put into SPAR."""
        return f"NID{self.run_tag}{next(_values):04d}"

    def _individual(self, name, nid=None, **vals):
        reg_ids = [Command.create({"id_type": self.national_id.id, "value": nid})]
        given_name, _space, family_name = name.partition(" ")
        return self.env["res.partner"].create(
            {
                "name": name,
                # What OpenG2P's Individual form requires.
                "given_name": given_name,
                "family_name": family_name or given_name,
                "is_registrant": True,
                "is_group": False,
                "reg_ids": reg_ids if nid else [],
                **vals,
            }
        )

    def _group(self, name, nid=None):
        return self._individual(name, nid, is_group=True)

    @classmethod
    def _registry_user(cls, login, *groups):
        return cls._login_user(login, "base.group_user", *groups)


class OpenG2PHttpCase(FaUiHttpCase, OpenG2PCommon):
    pass
