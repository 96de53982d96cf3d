"""The SPAR mapper client: one signed request per call; whole-batch failures
as exceptions.

Per-item outcomes come back in a :class:`~.spar_outcomes.SparResult`; an
exception means no item's fate is known, and says whether sending the same
batch again can help (:class:`SparTransientError`) or not
(:class:`SparPermanentError`). The mapper drops the keep-alive connection after
an HTTP 500, so the client replaces its HTTP session after any transient
failure.
"""

from __future__ import annotations

import logging
import time

import requests

from .signing import RequestSigner
from .spar_envelope import (
    FaResolve,
    FaUnlink,
    build_envelope,
    encode_body,
    require_text,
)
from .spar_outcomes import (
    JWT_INVALID,
    TRANSIENT_REASON_CODES,
    Outcome,
    OutcomeKind,
    SparResult,
    classify_outcome,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "SparClient",
    "SparError",
    "SparPermanentError",
    "SparTransientError",
]

_logger = logging.getLogger(__name__)

#: (connect, read) seconds. A batch of 1,000 updates takes ~3 s on a laptop.
DEFAULT_TIMEOUT = (5.0, 120.0)


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
        require_text("base_url", base_url)
        require_text("sender_id", sender_id)
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
        result = SparResult(action, message_id, transaction_id, outcomes)
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
