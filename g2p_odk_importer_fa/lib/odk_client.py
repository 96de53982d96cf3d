"""A small ODK Central client: login, submission paging, single instances.

Kept free of Odoo imports so that the recorder, the benchmark and the unit
tests use exactly the requests the importer sends. Behaviour of Central this
module relies on was measured against a running Central (see the fixtures
recorded by ``scripts/odk_record.py``):

* ``POST /v1/sessions`` gives a bearer token; bad credentials give 401.2.
* ``$filter`` only accepts ``__system/*`` fields and ISO-8601 datetimes with
  ``T`` and a zone; ``2020-01-01 00:00:00`` is refused with 400.18.
* The default order is newest first, so the feed is requested with
  ``$orderby=__system/submissionDate asc``. Central still answers such a
  request with a ``@odata.nextLink`` carrying ``$skiptoken``, but refuses
  ``$orderby`` with ``$skiptoken`` (501.1) when that link is followed: the
  next page of an ordered feed is the same link with ``$skip`` instead.
* ``@odata.nextLink`` starts with Central's configured public domain, which
  is not necessarily the address this client reaches it at.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import requests

_logger = logging.getLogger(__name__)

ORDER_ASC = "__system/submissionDate asc"
DEFAULT_TIMEOUT = (10, 120)


class OdkError(Exception):
    """Central refused a request or could not be reached.

    ``status`` is the HTTP status (0 when Central was not reached) and
    ``code`` Central's problem code (e.g. 401.2), when it sent one. The
    message never contains request bodies, so it is safe to show and log.
    """

    def __init__(self, message, status=0, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


class OdkAuthError(OdkError):
    """The account was refused: wrong e-mail or password, or no access."""


def parse_timestamp(value):
    """Parse one of Central's timestamps into an aware UTC datetime."""
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def format_timestamp(value):
    """ISO-8601 with ``T``, milliseconds and ``Z``, as Central's $filter wants.

    Naive datetimes (Odoo stores UTC without a zone) are read as UTC.
    """
    dt = parse_timestamp(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def submission_version(submission):
    """The timestamp of the submission's current version (edit or creation)."""
    system = submission.get("__system") or {}
    return system.get("updatedAt") or system.get("submissionDate")


def latest_timestamp(submissions, start=None):
    """The greatest submissionDate/updatedAt among ``submissions``, as sent.

    ``start`` (a previous watermark) is kept when nothing is newer. The value
    is returned as Central wrote it, so no precision is lost in a round trip.
    """
    best, best_dt = start, parse_timestamp(start)
    for submission in submissions:
        system = submission.get("__system") or {}
        for value in (system.get("submissionDate"), system.get("updatedAt")):
            dt = parse_timestamp(value)
            if dt and (best_dt is None or dt > best_dt):
                best, best_dt = value, dt
    return best


def build_filter(since):
    """Submissions created or changed (edited, reviewed) after ``since``.

    An edit keeps ``submissionDate`` and only moves ``updatedAt``, so a
    filter on ``submissionDate`` alone would never see a corrected payment
    number.
    """
    if not since:
        return None
    stamp = format_timestamp(since)
    return f"__system/submissionDate gt {stamp} or __system/updatedAt gt {stamp}"


def submissions_query(since=None, page_size=100):
    """Query parameters of the first page of the ordered feed."""
    params = {"$top": str(page_size), "$count": "true", "$orderby": ORDER_ASC}
    odata_filter = build_filter(since)
    if odata_filter:
        params["$filter"] = odata_filter
    return params


def next_page_params(next_link, received):
    """Query parameters of the page after ``received`` submissions.

    Central's ``@odata.nextLink`` is followed as given, except that on an
    ordered feed its ``$skiptoken`` is replaced by ``$skip`` (Central answers
    501.1 to ``$orderby`` with ``$skiptoken``).
    """
    params = dict(parse_qsl(urlsplit(next_link).query, keep_blank_values=True))
    if "$orderby" in params and "$skiptoken" in params:
        del params["$skiptoken"]
        params["$skip"] = str(received)
    return params


@dataclass
class Page:
    submissions: list
    count: int | None
    next_link: str | None


class OdkCentralClient:
    """One account on one Central; logs in lazily and again on an expired token."""

    def __init__(
        self, base_url, email, password, timeout=DEFAULT_TIMEOUT, session=None
    ):
        base_url = (base_url or "").strip().rstrip("/")
        if base_url.endswith("/v1"):
            base_url = base_url[: -len("/v1")]
        if not base_url.startswith(("http://", "https://")):
            raise OdkError(f"ODK Central URL must start with http(s)://: {base_url!r}")
        self.base_url = base_url
        self.email = email
        self._password = password
        self.timeout = timeout
        self.session = session or requests.Session()
        self.token = None

    def __repr__(self):
        # Never the password, nor the token.
        return f"<OdkCentralClient {self.base_url} {self.email}>"

    # -- plumbing ------------------------------------------------------

    def _url(self, path, params=None):
        url = self.base_url + path
        if params:
            url += "?" + urlencode(params, quote_via=quote, safe="/$")
        return url

    @staticmethod
    def _error(response, what):
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        text = f"{what}: HTTP {response.status_code}"
        if code is not None:
            text += f" ({code})"
        if message:
            text += f": {message}"
        cls = OdkAuthError if response.status_code in (401, 403) else OdkError
        return cls(text, response.status_code, code)

    def _send(self, method, url, what, **kwargs):
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise OdkError(
                f"{what}: ODK Central not reachable ({type(exc).__name__})"
            ) from exc

    def login(self):
        """Open a session; raise :class:`OdkAuthError` on wrong credentials."""
        response = self._send(
            "POST",
            self._url("/v1/sessions"),
            "login",
            data=json.dumps({"email": self.email, "password": self._password}),
            headers={"Content-Type": "application/json"},
        )
        if response.status_code != 200:
            raise self._error(response, f"login as {self.email} refused")
        self.token = response.json()["token"]
        return self.token

    def get_json(self, path, params=None, what="request"):
        """GET a Central resource, logging in first and once more on a 401
        (a token lives 24 h; a long-lived client outlives it)."""
        if not self.token:
            self.login()
        url = self._url(path, params)
        for attempt in (1, 2):
            response = self._send(
                "GET", url, what, headers={"Authorization": f"Bearer {self.token}"}
            )
            if response.status_code == 401 and attempt == 1:
                self.login()
                continue
            if response.status_code != 200:
                raise self._error(response, what)
            return response.json()
        raise AssertionError("unreachable")  # pragma: no cover

    # -- submissions ---------------------------------------------------

    def _svc(self, project_id, form_id):
        return (
            f"/v1/projects/{int(project_id)}/forms/{quote(str(form_id), safe='')}.svc"
        )

    def submissions_page(self, project_id, form_id, params):
        body = self.get_json(
            self._svc(project_id, form_id) + "/Submissions", params, "submissions"
        )
        return Page(
            submissions=body.get("value", []),
            count=body.get("@odata.count"),
            next_link=body.get("@odata.nextLink"),
        )

    def iter_pages(self, project_id, form_id, since=None, page_size=100):
        """Yield every page of submissions created or changed after ``since``,
        oldest first, following ``@odata.nextLink`` until Central sends none."""
        params = submissions_query(since, page_size)
        received = 0
        while True:
            page = self.submissions_page(project_id, form_id, params)
            received += len(page.submissions)
            yield page
            if not page.next_link or not page.submissions:
                return
            params = next_page_params(page.next_link, received)

    def submission(self, project_id, form_id, instance_id):
        """One submission by instanceID (``uuid:...``), in the feed's shape."""
        key = quote(str(instance_id).replace("'", "''"), safe=":")
        body = self.get_json(
            self._svc(project_id, form_id) + f"/Submissions('{key}')",
            what="submission",
        )
        values = body.get("value", [])
        if not values:
            raise OdkError("submission: not found", 404)
        return values[0]
