# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo.tests import tagged

from .common import FaUiHttpCase


@tagged("post_install", "-at_install")
class TestChangeChannel(FaUiHttpCase):
    """The channel of a change is where it really came from, whatever the
    caller puts in its context or values."""

    def _jsonrpc(self, user, model, method, args, kwargs=None):
        """Odoo's external JSON-RPC, as an integration calls it: the
        ``(result, error)`` of ``execute_kw`` as ``user`` (whose password
        is its login)."""
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    user.id,
                    user.login,
                    model,
                    method,
                    args,
                    kwargs or {},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        payload = response.json()
        return payload.get("result"), payload.get("error")

    def test_external_rpc_is_recorded_as_rpc_whatever_its_context_says(self):
        partner = self._registrant()
        fa_id, error = self._jsonrpc(
            self.ui_manager,
            "g2p.payment.fa",
            "create",
            [
                {
                    "partner_id": partner.id,
                    "kind": "mobile",
                    "payment_msisdn": "0712340501",
                    "channel": "odk",
                }
            ],
            {
                "context": {
                    "g2p_fa_channel": "odk",
                    "g2p_fa_change_reason": "spoofed reason",
                    "import_file": True,
                }
            },
        )
        self.assertFalse(error)
        self.assertRecordValues(
            partner.payment_fa_id,
            [{"id": fa_id, "channel": "rpc", "change_reason": False}],
        )
        self.assertRecordValues(
            self._last_row(partner),
            [{"channel": "rpc", "user_id": self.ui_manager.id, "change_reason": False}],
        )
        # FA managers may not edit contacts; the administrator may.
        _result, error = self._jsonrpc(
            self.user_admin,
            "res.partner",
            "write",
            [[partner.id], {"name": "Renamed Over Rpc"}],
            {"context": {"g2p_fa_channel": "portal"}},
        )
        self.assertFalse(error)
        self.assertEqual(self._last_row(partner).channel, "rpc")

    def test_web_client_change_is_recorded_as_backend(self):
        partner = self._registrant()
        self._create_bank_fa(partner)
        self.authenticate("admin", "admin")
        self.make_jsonrpc_request(
            "/web/dataset/call_kw/res.partner/write",
            {
                "model": "res.partner",
                "method": "write",
                "args": [[partner.id], {"name": "Renamed In The Backend"}],
                "kwargs": {"context": {"g2p_fa_channel": "odk"}},
            },
        )
        self.assertRecordValues(
            self._last_row(partner),
            [{"channel": "backend", "name": "Renamed In The Backend"}],
        )

    def test_control_characters_in_reason_are_a_validation_error_over_rpc(self):
        partner = self._registrant()
        current = self._create_bank_fa(partner)
        rows = self._rows(partner)
        for vals in [
            {"change_reason": "Lost\x00card"},
            {"request_ref": "REQ\x1b[2J"},
            {"change_reason": "x" * 1001},
        ]:
            _result, error = self._jsonrpc(
                self.ui_manager,
                "g2p.payment.fa",
                "create",
                [
                    dict(
                        vals,
                        partner_id=partner.id,
                        kind="mobile",
                        payment_msisdn="0712340502",
                    )
                ],
            )
            self.assertEqual(
                error["data"]["name"], "odoo.exceptions.ValidationError", vals
            )
            self.assertRegex(error["data"]["message"], "^(Reason|Request Reference): ")
        _result, error = self._jsonrpc(
            self.ui_manager,
            "g2p.fa.amendment",
            "create",
            [{"partner_id": partner.id, "reason": "Lost\x00card", "request_ref": "R"}],
        )
        self.assertEqual(error["data"]["name"], "odoo.exceptions.ValidationError")
        self.assertEqual(partner.payment_fa_id, current)
        self.assertEqual(self._rows(partner), rows)
