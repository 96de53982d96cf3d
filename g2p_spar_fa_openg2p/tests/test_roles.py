# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException

from .common import OpenG2PHttpCase

REGISTRAR = "g2p_registry_base.group_g2p_registrar"


@tagged("post_install", "-at_install")
class TestRoles(OpenG2PHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registrar = cls._registry_user("registrar", REGISTRAR)
        cls.g2p_admin = cls._registry_user(
            "g2p_admin", "g2p_registry_base.group_g2p_admin"
        )

    def test_openg2p_roles_imply_fa_roles(self):
        self.assertTrue(self.registrar.has_group("g2p_spar_fa_base.group_fa_viewer"))
        self.assertFalse(self.registrar.has_group("g2p_spar_fa_base.group_fa_manager"))
        self.assertTrue(self.g2p_admin.has_group("g2p_spar_fa_base.group_fa_admin"))

    def test_registrar_cannot_read_fa_values(self):
        partner = self._individual("Faith Private", self._nid())
        fa = self._mobile_fa(partner, "+254712345020")
        as_registrar = partner.with_user(self.registrar)
        # What a viewer sees: the masked address and the SPAR state.
        self.assertEqual(as_registrar.current_fa_masked, fa.fa_masked)
        for fname in ("current_fa_string", "current_fa_payment_msisdn"):
            with self.assertRaises(AccessError):
                as_registrar.read([fname])
        with self.assertRaises(AccessError):
            fa.with_user(self.registrar).read(["payment_msisdn"])
        with self.assertRaises(AccessError):
            self.env["g2p.payment.fa"].with_user(self.registrar).create(
                {
                    "partner_id": partner.id,
                    "kind": "mobile",
                    "payment_msisdn": "+254712345099",
                }
            )
        # The same over JSON-RPC, as a hostile client would ask.
        self.authenticate("registrar", "registrar")
        for model, record, fname in (
            ("res.partner", partner, "current_fa_string"),
            ("g2p.payment.fa", fa, "fa_string"),
        ):
            with self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw",
                    {
                        "model": model,
                        "method": "read",
                        "args": [[record.id], [fname]],
                        "kwargs": {},
                    },
                )

    def test_registrar_cannot_read_or_change_spar_settings(self):
        params = self.env["ir.config_parameter"].with_user(self.registrar)
        # OpenG2P's own settings stay readable to its users...
        params.get_param("g2p_registry.phone_regex")
        # ...ours do not, though OpenG2P opens system parameters to everyone.
        with self.assertRaises(AccessError):
            params.get_param("g2p_spar_fa_sync.spar_url")
        self.assertFalse(params.search([("key", "like", "g2p_spar_fa")]))
        self.assertFalse(params.search([("key", "=", "g2p_spar_fa.id_format")]))
        with self.assertRaises(AccessError):
            params.set_param("g2p_spar_fa.id_format", "evil:{id}")
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("g2p_spar_fa.id_format"),
            "token:{id}@nid",
        )
