# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from ..exceptions import FaInputError, safe_message

# Rejected: "@" delimits an FA string. Distinctive enough to grep for.
BAD_ACCOUNT = "ACC@99887766"


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@tagged("post_install", "-at_install")
class TestLogRedaction(HttpCase):
    def test_fa_error_quotes_value_to_user_and_not_in_logs(self):
        registrant = self.env["res.partner"].create(
            {"name": "Wanjiru Kamau", "is_registrant": True}
        )
        self.authenticate("admin", "admin")
        capture = _Capture()
        root = logging.getLogger()
        root.addHandler(capture)
        try:
            response = self.url_open(
                "/web/dataset/call_kw/g2p.payment.fa/create",
                data=json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "method": "call",
                        "params": {
                            "model": "g2p.payment.fa",
                            "method": "create",
                            "args": [
                                {
                                    "partner_id": registrant.id,
                                    "kind": "bank",
                                    "account_number": BAD_ACCOUNT,
                                    "bic": "DEUTDEFF",
                                }
                            ],
                            "kwargs": {},
                        },
                    }
                ),
                headers={"Content-Type": "application/json"},
            )
        finally:
            root.removeHandler(capture)
        self.assertEqual(response.status_code, 200)
        error = response.json()["error"]["data"]
        self.assertEqual(
            error["message"],
            f"Account Number: '{BAD_ACCOUNT}' may only contain letters, digits and '-'",
        )
        logged = [
            (record.name, record.levelno, record.getMessage())
            for record in capture.records
        ]
        self.assertIn(
            (
                "odoo.http",
                logging.WARNING,
                "Account Number: '*****766' may only contain letters, digits and '-'",
            ),
            logged,
        )
        for name, _level, message in logged:
            self.assertNotIn("99887766", message, f"logged by {name}")
        self.assertFalse(registrant.payment_fa_ids)

    def test_fa_errors_are_validation_errors_with_a_redacted_twin(self):
        registrant = self.env["res.partner"].create(
            {"name": "Wanjiru Kamau", "is_registrant": True}
        )
        with self.assertRaises(ValidationError) as info:
            self.env["g2p.payment.fa"].create(
                {
                    "partner_id": registrant.id,
                    "kind": "email",
                    "payment_email": "wanjiru.secret@",
                }
            )
        self.assertIsInstance(info.exception, FaInputError)
        self.assertIn("'wanjiru.secret@'", str(info.exception))
        self.assertEqual(
            safe_message(info.exception),
            "Payment E-mail: '*****et@' is not a valid e-mail address",
        )
