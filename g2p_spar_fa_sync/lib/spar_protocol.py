"""The SPAR ID-account mapper protocol, as the FA sync needs it.

Plain Python on purpose (requests, pyjwt, cryptography; nothing from Odoo): the
sync addon calls it from queue jobs, and the test suite runs it against the real
mapper without Odoo.

What the mapper does, and why the code below is shaped as it is (measured on
openg2p-spar-mapper-api 1.1.0; see docs/spar-mapper.md):

* Every outcome of a well-formed, well-signed request comes back as HTTP 200
  with one status per item; ``header.status`` says ``succ`` even when every
  item failed. So a call returns a :class:`SparResult` of per-item
  :class:`Outcome` objects, each with an :class:`OutcomeKind` that tells the
  caller what to do next, and exceptions are reserved for whole-batch failures.
* Outcomes are matched to requests by ``reference_id``, never by position.
* The same id twice in one batch makes the mapper fail the whole batch (HTTP
  500) and drop the keep-alive connection. :func:`build_envelope` refuses such
  a batch, :func:`batch_items` never builds one, and the client replaces its
  HTTP session after any transient failure.
* Whole-batch failures are either :class:`SparTransientError` (send the same
  batch again later) or :class:`SparPermanentError` (sending it again cannot
  help: fix the configuration or the data).
* FA values are personal financial data: no message, log line or ``repr``
  produced here shows one in clear (see :func:`redact`).
"""

from __future__ import annotations

import enum
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import requests

from .signing import RequestSigner, SparKeyError

__all__ = [
    "ACTIONS",
    "DEFAULT_TIMEOUT",
    "FaMapping",
    "FaResolve",
    "FaUnlink",
    "Outcome",
    "OutcomeKind",
    "RequestSigner",
    "SparClient",
    "SparError",
    "SparKeyError",
    "SparPermanentError",
    "SparResult",
    "SparTransientError",
    "batch_items",
    "build_envelope",
    "classify_outcome",
    "encode_body",
    "redact",
]

_logger = logging.getLogger(__name__)

ACTIONS = ("link", "update", "resolve", "unlink")
PROTOCOL_VERSION = "1.0.0"
#: (connect, read) seconds. A batch of 1,000 updates takes ~3 s on a laptop.
DEFAULT_TIMEOUT = (5.0, 120.0)

#: Item reason codes that mean "the server could not decide now; try again".
TRANSIENT_REASON_CODES = frozenset({"rjct.internal.error", "rjct.unknown.retry"})
#: Resolve reason codes (with status succ) that mean "no mapping for this id".
NOT_LINKED_REASON_CODES = frozenset(
    {"succ.fa.not_linked_to_id", "succ.id.not_found", "succ.fa.not_found"}
)
JWT_INVALID = "rjct.jwt.invalid"
REFERENCE_ID_DUPLICATE = "rjct.reference_id.duplicate"
ID_INVALID = "rjct.id.invalid"
# The mapper reuses reason codes for different situations; its messages tell
# them apart ("ID doesnt exist please link first", "Mapping doesnt exist ...").
_ID_UNKNOWN_MESSAGE = re.compile(
    r"does\s*n[o']?t\s+exist|does\s+not\s+exist|link\s+first|not\s+found", re.I
)


# --------------------------------------------------------------------------
# redaction


_MASK = "*****"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]{0,31}")


def redact(fa):
    """An FA with its personal part masked, for messages and logs.

    Keeps what helps an operator and says little about the person: the scheme
    (``phone``, ``account``...), the provider after the last ``@`` (a bank or
    BIC, not personal) and the last 3 characters at most (never more than a
    quarter) of the personal part. The mask has a fixed width, so the length
    does not leak either. ``phone:+254712345678`` -> ``phone:*****678``;
    ``account:12345678@b1.bank.bank_acc`` -> ``account:*****78@b1.bank.bank_acc``.
    """
    if fa is None or fa == "":
        return "<none>"
    fa = str(fa)
    scheme, colon, value = fa.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        scheme, colon, value = "", "", fa
    local, at, provider = value.rpartition("@")
    if not at:
        local, provider = value, ""
    keep = min(3, len(local) // 4)
    tail = local[len(local) - keep :] if keep else ""
    return f"{scheme}{colon}{_MASK}{tail}{at}{provider}"


def _mask_text(value):
    """Names and phone numbers in a repr: say whether set, never show them."""
    return None if value is None else "<set>"


# --------------------------------------------------------------------------
# request items


def _require_text(field_name, value, optional=False):
    """Refuse values the mapper cannot store.

    A NUL character makes PostgreSQL fail the whole batch with HTTP 500, which
    looks transient and would be retried forever. The message names the field
    only: the value may be personal data.
    """
    if optional and (value is None or value == ""):
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field_name} must be a non-empty string")
    if "\x00" in value:
        raise ValueError(f"{field_name} must not contain a NUL character")


@dataclass(frozen=True, repr=False)
class FaMapping:
    """One ID -> FA mapping to link or update.

    ``reference_id`` is the caller's handle for this item (unique within a
    batch); the outcome comes back under it. ``id`` is the beneficiary's ID as
    SPAR knows it (OpenG2P: ``token:<value>@<id-type>``), ``fa`` the financial
    address. On update, SPAR only overwrites fields sent non-empty: a ``None``
    name keeps the stored one.
    """

    reference_id: str
    id: str
    fa: str
    name: str | None = None
    phone_number: str | None = None
    additional_info: tuple = ()
    locale: str = "en"

    def __post_init__(self):
        _require_text("reference_id", self.reference_id)
        _require_text("id", self.id)
        _require_text("fa", self.fa)
        _require_text("name", self.name, optional=True)
        _require_text("phone_number", self.phone_number, optional=True)
        object.__setattr__(self, "additional_info", tuple(self.additional_info))

    def __repr__(self):
        return (
            f"FaMapping(reference_id={self.reference_id!r}, id={self.id!r}, "
            f"fa={redact(self.fa)!r}, name={_mask_text(self.name)}, "
            f"phone_number={_mask_text(self.phone_number)}, "
            f"additional_info=<{len(self.additional_info)} entries>)"
        )


@dataclass(frozen=True)
class FaUnlink:
    """One ID whose mapping must go.

    Deliberately without an FA: when an FA is sent, the mapper only deletes a
    mapping whose stored FA equals it, and answers ``rjct.id.invalid`` ("ID
    doesnt exist") otherwise, which reads exactly like "already absent" while
    the mapping is in fact still there.
    """

    reference_id: str
    id: str
    locale: str = "en"

    def __post_init__(self):
        _require_text("reference_id", self.reference_id)
        _require_text("id", self.id)


@dataclass(frozen=True)
class FaResolve:
    """One ID to look up. ``scope`` "details" returns the FA; "yes_no" does not."""

    reference_id: str
    id: str
    scope: str = "details"
    locale: str = "en"

    def __post_init__(self):
        _require_text("reference_id", self.reference_id)
        _require_text("id", self.id)
        if self.scope not in ("details", "yes_no"):
            raise ValueError("scope must be 'details' or 'yes_no'")


_ITEM_TYPES = {
    "link": FaMapping,
    "update": FaMapping,
    "unlink": FaUnlink,
    "resolve": FaResolve,
}


def _item_payload(action, item, timestamp):
    """The JSON object for one item, with the field names the mapper expects."""
    payload = {"reference_id": item.reference_id, "timestamp": timestamp, "id": item.id}
    if action in ("link", "update"):
        payload.update(
            fa=item.fa,
            name=item.name,
            phone_number=item.phone_number,
            additional_info=list(item.additional_info),
        )
    elif action == "resolve":
        payload["scope"] = item.scope
    payload["locale"] = item.locale
    return payload


# --------------------------------------------------------------------------
# envelopes


def _utc_timestamp(now=None):
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _check_batch(items):
    """Refuse batches the mapper cannot take or we could not match up.

    The same ``id`` twice fails the whole batch with HTTP 500 and a dropped
    connection; the same ``reference_id`` twice would make outcomes ambiguous.
    Messages give positions only: ids and FAs are personal data.
    """
    first_by_reference = {}
    first_by_id = {}
    for position, item in enumerate(items):
        previous = first_by_reference.setdefault(item.reference_id, position)
        if previous != position:
            raise ValueError(
                f"items {previous} and {position} share a reference_id; "
                "reference_ids must be unique within a batch"
            )
        previous = first_by_id.setdefault(item.id, position)
        if previous != position:
            raise ValueError(
                f"items {previous} and {position} have the same id; SPAR fails the "
                "whole batch on that: split with batch_items()"
            )


def build_envelope(action, items, *, sender_id, receiver_id, sender_uri="", now=None):
    """The request envelope (a dict) for ``action`` over ``items``.

    Each call gets a fresh ``message_id`` and ``transaction_id`` (uuid4) and one
    ISO-8601 UTC timestamp for the header and the items. ``items`` must be
    :class:`FaMapping` for link/update, :class:`FaUnlink` for unlink,
    :class:`FaResolve` for resolve; ids and reference_ids unique in the batch.
    """
    if action not in _ITEM_TYPES:
        raise ValueError(f"unknown SPAR action {action!r}; expected one of {ACTIONS}")
    items = list(items)
    if not items:
        raise ValueError("a SPAR batch needs at least one item")
    expected = _ITEM_TYPES[action]
    for item in items:
        if not isinstance(item, expected):
            raise TypeError(
                f"{action} items must be {expected.__name__}, not {type(item).__name__}"
            )
    _check_batch(items)
    _require_text("sender_id", sender_id)
    timestamp = _utc_timestamp(now)
    return {
        "header": {
            "version": PROTOCOL_VERSION,
            "message_id": str(uuid.uuid4()),
            "message_ts": timestamp,
            "action": action,
            "sender_id": sender_id,
            "sender_uri": sender_uri or "",
            "receiver_id": receiver_id or "",
            "total_count": len(items),
            "is_msg_encrypted": False,
        },
        "message": {
            "transaction_id": str(uuid.uuid4()),
            f"{action}_request": [
                _item_payload(action, item, timestamp) for item in items
            ],
        },
    }


def encode_body(envelope):
    """The exact bytes to send (and sign) for ``envelope``.

    The mapper verifies the signature over ``json.dumps(json.loads(body),
    separators=(",", ":"))``: compact, key order kept, ``ensure_ascii`` on (so
    "Zoë" travels as ``Zo\\u00eb``). Sending that very serialisation makes the
    bytes we sign and the bytes it checks identical. Content that would not
    survive that round trip unchanged (NaN, keys that collide once turned into
    strings) is refused here rather than failing as a bad signature there.
    """
    body = json.dumps(envelope, separators=(",", ":"), allow_nan=False)
    if json.dumps(json.loads(body), separators=(",", ":")) != body:
        raise ValueError(
            "the envelope does not survive a JSON round trip unchanged (e.g. "
            "additional_info has keys that collide as strings); SPAR would "
            "reject its signature"
        )
    return body.encode("ascii")


# --------------------------------------------------------------------------
# batching


def batch_items(items, max_size, key=lambda item: item.id):
    """Split ``items`` into batches of at most ``max_size``, no id twice in one.

    Items keep their order within a batch. A repeated id goes into a batch
    after the one holding its previous occurrence, so changes to one id stay
    in order as long as the batches are sent one after the other, each after
    the previous one has been answered. Other items still fill the earliest
    batch with room, so duplicates cost as few extra requests as possible.
    """
    if not isinstance(max_size, int) or max_size < 1:
        raise ValueError("max_size must be a positive integer")
    batches = []
    last_batch_of_key = {}
    first_open = 0  # every batch before this one is full
    for item in items:
        item_key = key(item)
        index = max(first_open, last_batch_of_key.get(item_key, -1) + 1)
        while index < len(batches) and len(batches[index]) >= max_size:
            index += 1
        if index == len(batches):
            batches.append([])
        batches[index].append(item)
        last_batch_of_key[item_key] = index
        while first_open < len(batches) and len(batches[first_open]) >= max_size:
            first_open += 1
    return batches


# --------------------------------------------------------------------------
# outcomes


class OutcomeKind(str, enum.Enum):
    """What an item's outcome means for the caller.

    DONE            the request took effect (resolve: the id is linked, see fa)
    ALREADY_LINKED  link of an id SPAR already maps: send an update instead
    NOT_LINKED      update of an id SPAR does not map: send a link instead
                    (resolve: the id has no mapping)
    ALREADY_ABSENT  unlink of an id SPAR does not map: the desired state holds
    RETRY           SPAR could not decide now: send the item again later
    PERMANENT       rejected for good (e.g. invalid id or FA): needs a human
    """

    DONE = "done"
    ALREADY_LINKED = "already_linked"
    NOT_LINKED = "not_linked"
    ALREADY_ABSENT = "already_absent"
    RETRY = "retry"
    PERMANENT = "permanent"

    def __str__(self):
        return self.value


def classify_outcome(action, status, reason_code=None, reason_message=None):
    """The :class:`OutcomeKind` of one item outcome; the only place that decides.

    The mapper reuses ``rjct.reference_id.duplicate`` for "link: ID and FA are
    already mapped" and for "update: ID doesnt exist please link first", and
    ``rjct.id.invalid`` for both "unlink: ID doesnt exist" and "ID is null":
    the action and the message tell them apart. Anything unrecognised is
    PERMANENT, so that it reaches a human instead of looping.
    """
    message = reason_message or ""
    if status == "succ":
        if action == "resolve" and reason_code in NOT_LINKED_REASON_CODES:
            return OutcomeKind.NOT_LINKED
        return OutcomeKind.DONE
    if status in ("rcvd", "pdng") or reason_code in TRANSIENT_REASON_CODES:
        return OutcomeKind.RETRY
    if status != "rjct":
        return OutcomeKind.PERMANENT
    id_unknown = bool(_ID_UNKNOWN_MESSAGE.search(message))
    if action == "link" and reason_code == REFERENCE_ID_DUPLICATE and not id_unknown:
        return OutcomeKind.ALREADY_LINKED
    if (
        action == "update"
        and reason_code in (REFERENCE_ID_DUPLICATE, ID_INVALID)
        and id_unknown
    ):
        return OutcomeKind.NOT_LINKED
    if action == "unlink" and reason_code == ID_INVALID and id_unknown:
        return OutcomeKind.ALREADY_ABSENT
    return OutcomeKind.PERMANENT


@dataclass(frozen=True, repr=False)
class Outcome:
    """The server's answer for one item, matched by ``reference_id``.

    ``fa`` and ``additional_info`` (a tuple) are set for a resolve (scope
    "details") of a linked id only: SPAR's resolve returns no other field of
    the mapping. ``status`` is None when the server sent nothing back for the
    item.
    """

    action: str
    reference_id: str
    id: str
    kind: OutcomeKind
    status: str | None
    reason_code: str | None = None
    reason_message: str | None = None
    fa: str | None = None
    additional_info: tuple | None = None

    @property
    def linked(self):
        """Resolve only: True when SPAR maps this id (to ``fa`` for "details")."""
        return self.action == "resolve" and self.kind is OutcomeKind.DONE

    def __repr__(self):
        return (
            f"Outcome(action={self.action!r}, reference_id={self.reference_id!r}, "
            f"id={self.id!r}, kind={self.kind.value!r}, status={self.status!r}, "
            f"reason_code={self.reason_code!r}, "
            f"reason_message={self.reason_message!r}, fa={redact(self.fa)!r})"
        )


class SparResult(Mapping):
    """Outcomes of one request, by reference_id, in request order.

    Also carries the request's ``message_id`` / ``transaction_id`` (for
    correlating with the mapper's logs) and how long the call took.
    """

    def __init__(self, action, message_id, transaction_id, outcomes, elapsed=0.0):
        self.action = action
        self.message_id = message_id
        self.transaction_id = transaction_id
        self.elapsed = elapsed
        self._outcomes = dict(outcomes)

    def __getitem__(self, reference_id):
        return self._outcomes[reference_id]

    def __iter__(self):
        return iter(self._outcomes)

    def __len__(self):
        return len(self._outcomes)

    def by_id(self):
        """Outcomes keyed by SPAR id (ids are unique within a request)."""
        return {outcome.id: outcome for outcome in self._outcomes.values()}

    def of_kind(self, *kinds):
        """Outcomes whose kind is one of ``kinds``, in request order."""
        return [o for o in self._outcomes.values() if o.kind in kinds]

    def counts(self):
        """{kind value: number of items}, for logs and job results."""
        counts = {}
        for outcome in self._outcomes.values():
            counts[outcome.kind.value] = counts.get(outcome.kind.value, 0) + 1
        return counts

    def __repr__(self):
        return (
            f"<SparResult {self.action} message_id={self.message_id} "
            f"transaction_id={self.transaction_id} {self.counts()}>"
        )


# --------------------------------------------------------------------------
# errors


class SparError(Exception):
    """A SPAR request failed as a whole; no item outcome is known.

    Carries what is needed to correlate with the server's logs. Messages never
    contain FA values (nor the server's free-text error details, which may
    echo request data).
    """

    def __init__(
        self,
        message,
        *,
        action=None,
        http_status=None,
        reason_code=None,
        message_id=None,
        transaction_id=None,
        error_codes="",
    ):
        super().__init__(message)
        self.action = action
        self.http_status = http_status
        # The error body's codes (e.g. G2P-REQ-100), never its free text.
        self.error_codes = error_codes
        self.reason_code = reason_code
        self.message_id = message_id
        self.transaction_id = transaction_id


class SparTransientError(SparError):
    """Send the same batch again later: network trouble, timeout, HTTP 5xx,
    a dropped keep-alive socket, or a server-side "try again" code."""


class SparPermanentError(SparError):
    """Sending the same request again cannot succeed: a bad signature or
    configuration, a schema error (HTTP 4xx), or a response we cannot read."""


# --------------------------------------------------------------------------
# client

_TRANSIENT_HTTP = frozenset({408, 425, 429})
_TRANSIENT_EXCEPTIONS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def _error_codes(response):
    """The ``errors[].code`` values of an error body, for messages.

    Only codes: the free text may include request data (with debug on, the
    mapper puts the exception text, SQL parameters included, in it).
    """
    try:
        errors = response.json().get("errors")
        codes = [str(e.get("code")) for e in errors if isinstance(e, dict)]
    except Exception:  # any unreadable body just has no codes
        return ""
    return ", ".join(dict.fromkeys(codes))


def _refuse_str(name, value):
    # A lone id passed where a list is expected would be sent letter by letter.
    if isinstance(value, str | bytes):
        raise TypeError(f"{name} must be a collection of ids, not a single string")


class SparClient:
    """Synchronous client of the SPAR mapper's ``/sync/*`` routes.

    One request per call, no retries inside: the caller (a queue job) owns
    retry policy and ordering. Whole-batch failures raise
    :class:`SparTransientError` or :class:`SparPermanentError`; per-item
    results come back in a :class:`SparResult`. After a transient failure the
    HTTP session is replaced, because the mapper drops the keep-alive
    connection after a 500 and the next request on that socket would fail too.
    Not thread-safe: use one client per worker.
    """

    def __init__(
        self,
        base_url,
        signer,
        sender_id,
        receiver_id,
        sender_uri="",
        timeout=DEFAULT_TIMEOUT,
        session=None,
    ):
        """``session``: an optional preconfigured requests.Session (proxies,
        CA bundle...). It is kept across failures, only its pooled connections
        are closed; without one, the client makes and replaces its own."""
        if not isinstance(signer, RequestSigner) and not callable(
            getattr(signer, "sign", None)
        ):
            raise TypeError("signer must have a sign(body: bytes) -> str method")
        _require_text("base_url", base_url)
        _require_text("sender_id", sender_id)
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.sender_uri = sender_uri
        self.timeout = timeout
        self._own_session = session is None
        self._session = session if session is not None else requests.Session()

    # ---- typed calls

    def link(self, items):
        """Create mappings; outcomes DONE, ALREADY_LINKED, RETRY or PERMANENT."""
        return self._call("link", items)

    def update(self, items):
        """Change mappings; outcomes DONE, NOT_LINKED, RETRY or PERMANENT."""
        return self._call("update", items)

    def unlink(self, items):  # pylint: disable=method-required-super
        """Delete mappings; outcomes DONE, ALREADY_ABSENT, RETRY or PERMANENT.

        ``items``: :class:`FaUnlink` objects, or plain ids (their reference_id
        is then the id itself).
        """
        _refuse_str("items", items)
        items = [
            item if isinstance(item, FaUnlink) else FaUnlink(item, item)
            for item in items
        ]
        return self._call("unlink", items)

    def resolve(self, ids, scope="details"):
        """Look ids up; outcome DONE (``linked``, with ``fa`` for "details") or
        NOT_LINKED. Repeated ids are asked once. Keyed by reference_id, which
        is the id itself; ``result.by_id()`` gives the same."""
        _refuse_str("ids", ids)
        unique_ids = list(dict.fromkeys(ids))
        items = [FaResolve(id_value, id_value, scope=scope) for id_value in unique_ids]
        return self._call("resolve", items)

    # ---- raw exchange

    def send(self, envelope):
        """Sign and POST a prebuilt envelope to its action's route.

        Returns the decoded response once HTTP and header-level failures have
        been turned into exceptions. For callers that build envelopes
        themselves (and tests); the typed calls go through here.
        """
        header = envelope["header"]
        action = header["action"]
        context = {
            "action": action,
            "message_id": header.get("message_id"),
            "transaction_id": envelope.get("message", {}).get("transaction_id"),
        }
        body = encode_body(envelope)
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Signature": self.signer.sign(body),
        }
        try:
            response = self._session.post(
                f"{self.base_url}/sync/{action}",
                data=body,
                headers=headers,
                timeout=self.timeout,
            )
        except _TRANSIENT_EXCEPTIONS as error:
            self.reset_session()
            raise SparTransientError(
                f"SPAR {action} request to {self.base_url} failed in transit "
                f"({type(error).__name__}); connections were reset",
                **context,
            ) from error
        except requests.exceptions.RequestException as error:
            raise SparPermanentError(
                f"SPAR {action} request could not be sent ({type(error).__name__}): "
                "check the SPAR URL",
                **context,
            ) from error
        return self._check_response(response, context)

    def _check_response(self, response, context):
        action = context["action"]
        status_code = response.status_code
        if status_code >= 500 or status_code in _TRANSIENT_HTTP:
            self.reset_session()
            codes = _error_codes(response)
            raise SparTransientError(
                f"SPAR {action} failed with HTTP {status_code}"
                + (f" ({codes})" if codes else "")
                + "; the items' fate is unknown: send the batch again (the mapper "
                "also answers 500 to a batch with one id twice)",
                http_status=status_code,
                error_codes=codes,
                **context,
            )
        if status_code != 200:
            codes = _error_codes(response)
            raise SparPermanentError(
                f"SPAR {action} refused the request with HTTP {status_code}"
                + (f" ({codes})" if codes else ""),
                http_status=status_code,
                error_codes=codes,
                **context,
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        header = payload.get("header") if isinstance(payload, dict) else None
        if not isinstance(header, dict):
            raise SparPermanentError(
                f"SPAR {action} answered HTTP 200 without a readable envelope",
                http_status=status_code,
                **context,
            )
        status = header.get("status")
        reason_code = header.get("status_reason_code")
        if status == "rjct":
            error_class = (
                SparTransientError
                if reason_code in TRANSIENT_REASON_CODES
                else SparPermanentError
            )
            if reason_code == JWT_INVALID:
                message = (
                    f"SPAR rejected the {action} request signature ({JWT_INVALID}): "
                    "the signing key does not match the public key SPAR has for "
                    f"sender_id {self.sender_id!r}"
                )
            else:
                message = f"SPAR rejected the whole {action} batch ({reason_code})"
            raise error_class(
                message, http_status=status_code, reason_code=reason_code, **context
            )
        if status != "succ":
            raise SparPermanentError(
                f"SPAR {action} answered with header status {status!r}",
                http_status=status_code,
                reason_code=reason_code,
                **context,
            )
        echoed = header.get("message_id")
        if echoed and echoed != context["message_id"]:
            raise SparPermanentError(
                f"SPAR {action} answered for another message_id",
                http_status=status_code,
                **context,
            )
        return payload

    def _call(self, action, items):
        _refuse_str("items", items)
        items = list(items)
        envelope = build_envelope(
            action,
            items,
            sender_id=self.sender_id,
            receiver_id=self.receiver_id,
            sender_uri=self.sender_uri,
        )
        message_id = envelope["header"]["message_id"]
        transaction_id = envelope["message"]["transaction_id"]
        started = time.monotonic()
        payload = self.send(envelope)
        elapsed = time.monotonic() - started
        outcomes = self._outcomes(action, items, payload, message_id, transaction_id)
        result = SparResult(action, message_id, transaction_id, outcomes, elapsed)
        _logger.info(
            "SPAR %s of %d items in %.0f ms: %s (message_id %s)",
            action,
            len(items),
            elapsed * 1000,
            result.counts(),
            message_id,
        )
        return result

    def _outcomes(self, action, items, payload, message_id, transaction_id):
        """Per-item outcomes matched by reference_id, in request order."""
        message = payload.get("message")
        answers = (
            message.get(f"{action}_response") if isinstance(message, dict) else None
        )
        if not isinstance(answers, list):
            raise SparPermanentError(
                f"SPAR {action} answer has no {action}_response list",
                action=action,
                http_status=200,
                message_id=message_id,
                transaction_id=transaction_id,
            )
        requested = {item.reference_id: item for item in items}
        answered = {}
        for answer in answers:
            reference_id = (
                answer.get("reference_id") if isinstance(answer, dict) else None
            )
            if reference_id not in requested or reference_id in answered:
                _logger.warning(
                    "SPAR %s answer has an unexpected or repeated item; ignored "
                    "(message_id %s)",
                    action,
                    message_id,
                )
                continue
            answered[reference_id] = answer
        outcomes = {}
        for reference_id, item in requested.items():
            answer = answered.get(reference_id)
            if answer is None:
                outcomes[reference_id] = Outcome(
                    action,
                    reference_id,
                    item.id,
                    OutcomeKind.RETRY,
                    None,
                    reason_message="SPAR sent no outcome for this item",
                )
                continue
            status = answer.get("status")
            reason_code = answer.get("status_reason_code")
            reason_message = answer.get("status_reason_message")
            kind = classify_outcome(action, status, reason_code, reason_message)
            resolved = action == "resolve" and kind is OutcomeKind.DONE
            outcomes[reference_id] = Outcome(
                action,
                reference_id,
                item.id,
                kind,
                status,
                reason_code,
                reason_message,
                fa=(answer.get("fa") or None) if resolved else None,
                additional_info=(
                    tuple(answer.get("additional_info") or ()) if resolved else None
                ),
            )
        return outcomes

    # ---- session

    def reset_session(self):
        """Drop pooled connections (a socket the server closed is useless).

        An own session is replaced outright; a caller's session keeps its
        configuration, its pools are emptied and refill on the next request.
        """
        try:
            self._session.close()
        except Exception:  # closing a broken pool must not mask the cause
            _logger.debug("closing the SPAR HTTP session failed", exc_info=True)
        if self._own_session:
            self._session = requests.Session()

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return f"<SparClient {self.base_url} sender_id={self.sender_id!r}>"
