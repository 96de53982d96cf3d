# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo import _, http
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import FA_VALUE_FIELDS

from ..lib import inputs

MANAGER = "g2p_spar_fa_base.group_fa_manager"
IDENTIFIERS = ("spar_id", "registrant_ref")
# The FA values a caller may send; the bank is given by its BIC.
FA_FIELDS = tuple(name for name in FA_VALUE_FIELDS if name != "bank_id")
OTHER_FIELDS = ("reason", "request_ref")
# A submission is a few short fields; anything much larger is not one.
MAX_BODY = 64 * 1024


class ApiError(Exception):
    def __init__(self, status, error, message, fields=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.fields = fields or {}

    def response(self):
        body = {"error": self.error, "message": str(self)}
        if self.fields:
            body["fields"] = self.fields
        return request.make_json_response(body, status=self.status)


class PaymentFaApi(http.Controller):
    """JSON channel of the self-service portal (outside Odoo).

    Authenticated with an Odoo API key of a user with FA manager rights
    (``Authorization: Bearer <key>``); everything then runs as that user.
    """

    @http.route(
        "/g2p_spar_fa/api/v1/fa",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def submit_fa(self):
        try:
            self._authenticate()
            payload = self._json_body()
            partner = self._registrant(payload)
            fa = self._record_fa(partner, payload)
        except ApiError as exc:
            return exc.response()
        row = self._last_row(partner)
        return request.make_json_response(
            {
                "registrant_ref": partner.registrant_ref,
                "spar_id": partner.spar_id,
                "fa_masked": fa.fa_masked,
                "outbox_id": row.id,
                "spar_state": partner.spar_state,
            },
            status=202,
        )

    @http.route(
        "/g2p_spar_fa/api/v1/state",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def spar_state(self, **params):
        try:
            self._authenticate()
            self._check_texts({k: params[k] for k in IDENTIFIERS if k in params})
            partner = self._registrant(params)
        except ApiError as exc:
            return exc.response()
        last = self._last_row(partner)
        return request.make_json_response(
            {
                "registrant_ref": partner.registrant_ref,
                "spar_id": partner.spar_id,
                "spar_state": partner.spar_state,
                "details": partner.spar_state_note or None,
                "fa_masked": partner.current_fa_masked or None,
                "last_change": last
                and {
                    "outbox_id": last.id,
                    "state": last.state,
                    "channel": last.channel,
                    "created_at": last.create_date.isoformat(),
                    "verification": last.verification,
                }
                or None,
            }
        )

    def _authenticate(self):
        header = request.httprequest.headers.get("Authorization", "")
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthenticated", "Send Authorization: Bearer <key>.")
        uid = request.env["res.users.apikeys"]._check_credentials(
            scope="rpc", key=key.strip()
        )
        if not uid:
            raise ApiError(401, "unauthenticated", "The API key is not valid.")
        request.update_env(user=uid)
        if not request.env.user.has_group(MANAGER):
            raise ApiError(
                403, "forbidden", "The key's user may not change payment addresses."
            )

    @classmethod
    def _json_body(cls):
        if (request.httprequest.content_length or 0) > MAX_BODY:
            raise ApiError(
                413,
                "too_large",
                _("The body is larger than %(limit)s bytes.", limit=MAX_BODY),
            )
        try:
            payload = json.loads(request.httprequest.get_data() or b"null")
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "The body is not JSON.") from exc
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.")
        unknown = set(payload) - {*IDENTIFIERS, *FA_FIELDS, *OTHER_FIELDS}
        if unknown:
            raise ApiError(
                400,
                "validation",
                "Unknown fields.",
                dict.fromkeys(sorted(unknown), "unknown field"),
            )
        # null stands for "not given", except as an FA value.
        cls._check_texts(
            {k: v for k, v in payload.items() if v is not None or k in FA_FIELDS}
        )
        return payload

    @staticmethod
    def _check_texts(values):
        """Refuse values that are not plain text of a sensible length, all
        named at once, before anything is looked up or written."""
        problems = inputs.text_problems(values)
        if problems:
            fa_model = request.env["g2p.payment.fa"]
            raise ApiError(
                400,
                "validation",
                _("Invalid fields."),
                {
                    field: fa_model._input_problem_message(problem)
                    for field, problem in sorted(problems.items())
                },
            )

    @staticmethod
    def _last_row(partner):
        """The registrant's latest outbox row: what the API reports on."""
        return request.env["g2p.spar.outbox"].search(
            [("partner_id", "=", partner.id)], order="sequence desc", limit=1
        )

    @staticmethod
    def _registrant(params):
        given = {k: params[k] for k in IDENTIFIERS if params.get(k)}
        if len(given) != 1:
            raise ApiError(
                400,
                "validation",
                "Identify the registrant by spar_id or registrant_ref.",
                dict.fromkeys(IDENTIFIERS, "give exactly one of these"),
            )
        ((field, value),) = given.items()
        partner = request.env["res.partner"].search(
            [("is_registrant", "=", True), (field, "=", value)], limit=2
        )
        if len(partner) != 1:
            raise ApiError(404, "not_found", "No such registrant.", {field: "unknown"})
        return partner

    @staticmethod
    def _record_fa(partner, payload):
        vals = {name: payload[name] for name in FA_FIELDS if name in payload}
        if not payload.get("reason"):
            raise ApiError(
                400, "validation", _("Invalid fields."), {"reason": _("required")}
            )
        submission = change.ChangeContext(
            change.API, payload["reason"], payload.get("request_ref")
        )
        fa_model = request.env["g2p.payment.fa"]
        try:
            with request.env.cr.savepoint(), change.recording(request.env, submission):
                return fa_model.create(dict(vals, partner_id=partner.id))
        except AccessError as exc:
            raise ApiError(403, "forbidden", str(exc)) from exc
        except (UserError, ValidationError) as exc:
            field, message = fa_model._input_error(exc)
            raise ApiError(
                400, "validation", message, {field: message} if field else None
            ) from exc
