"""Push one batch of outbox heads to SPAR; read what SPAR holds back.

Plain Python (no Odoo): the outbox model claims rows and stores what this
returns; everything about talking to SPAR -- grouping by action, falling back
between link and update on SPAR's answer, telling transient from permanent
failures, verifying by resolve -- happens here, testable against the real
mapper without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spar_protocol import (
    JWT_INVALID,
    FaMapping,
    FaUnlink,
    OutcomeKind,
    SparError,
    SparTransientError,
    redact,
)

# SPAR answers rjct.jwt.invalid for a wrong key, but also when its key
# manager fails (it reads any unreadable verifier answer as "invalid"): a
# signature rejected this many times in a row fails the row. Counted apart
# from attempts, so rows that already waited out an outage keep their
# chances.
SIGNATURE_ATTEMPTS = 3
# link -> update -> link covers "mapped meanwhile" and "unmapped meanwhile";
# a row still bouncing after that waits for a later attempt.
MAX_ROUNDS = 3
FALLBACK = {
    (OutcomeKind.ALREADY_LINKED, "link"): "update",
    (OutcomeKind.NOT_LINKED, "update"): "link",
}


@dataclass(frozen=True)
class PushItem:
    """What one outbox row asks of SPAR."""

    reference_id: str
    operation: str
    spar_id: str
    fa: str = ""
    name: str | None = None
    phone_number: str | None = None
    additional_info: tuple = ()
    signature_rejections: int = 0


@dataclass(frozen=True)
class PushResult:
    """What became of one item. ``outcome`` is done, retry or failed;
    ``error`` never holds an FA in clear. ``signature_rejections``: how many
    times in a row SPAR has now rejected the item's signature."""

    outcome: str
    sent_operation: str | None = None
    reason_code: str | None = None
    error: str | None = None
    message_id: str | None = None
    transaction_id: str | None = None
    signature_rejections: int = 0


@dataclass(frozen=True)
class ReadBack:
    """What SPAR resolved for one pushed row: ``verification`` is "verified"
    when it holds exactly the FA sent, else "mismatch" with what it holds
    instead, masked, in ``spar_fa_masked``."""

    verification: str
    spar_fa_masked: str | None = None


def _request_items(operation, items):
    if operation == "unlink":
        return [FaUnlink(item.reference_id, item.spar_id) for item in items]
    return [
        FaMapping(
            item.reference_id,
            item.spar_id,
            item.fa,
            name=item.name,
            phone_number=item.phone_number,
            additional_info=item.additional_info,
        )
        for item in items
    ]


def _describe(outcome):
    text = outcome.reason_code or outcome.status or "no answer for this item"
    if outcome.reason_message:
        text = f"{text}: {outcome.reason_message[:200]}"
    return text


def push_batch(client, items):
    """Send ``items`` (distinct SPAR ids) and return {reference_id: PushResult}.

    One request per action and round. A whole-request failure applies to
    every item of that request only: a bad unlink batch does not stop links.
    """
    results = {}
    planned = [(item, item.operation) for item in items]
    for _round in range(MAX_ROUNDS):
        fallbacks = []
        for operation in ("unlink", "link", "update"):
            group = [item for item, op in planned if op == operation]
            if group:
                fallbacks += _send(client, operation, group, results)
        planned = fallbacks
        if not planned:
            break
    for item, operation in planned:
        results[item.reference_id] = PushResult(
            "retry",
            error=f"SPAR still answered {operation} conflicts after "
            f"{MAX_ROUNDS} rounds; will try again",
        )
    return results


def _send(client, operation, group, results):
    """One request; fills ``results`` and returns the items to send again."""
    try:
        answer = getattr(client, operation)(_request_items(operation, group))
    except SparError as error:
        for item in group:
            results[item.reference_id] = PushResult(
                _error_outcome(error, item),
                reason_code=error.reason_code,
                error=str(error),
                message_id=error.message_id,
                transaction_id=error.transaction_id,
                signature_rejections=_signature_rejections(item, error.reason_code),
            )
        return []
    again = []
    for item in group:
        outcome = answer[item.reference_id]
        common = {
            "reason_code": outcome.reason_code,
            "message_id": answer.message_id,
            "transaction_id": answer.transaction_id,
            "signature_rejections": _signature_rejections(item, outcome.reason_code),
        }
        fallback = FALLBACK.get((outcome.kind, operation))
        if fallback:
            again.append((item, fallback))
        elif outcome.kind in (OutcomeKind.DONE, OutcomeKind.ALREADY_ABSENT):
            results[item.reference_id] = PushResult(
                "done", sent_operation=operation, **common
            )
        elif outcome.kind is OutcomeKind.RETRY:
            results[item.reference_id] = PushResult(
                "retry", error=_describe(outcome), **common
            )
        else:
            results[item.reference_id] = PushResult(
                "failed", error=_describe(outcome), **common
            )
    return again


def _signature_rejections(item, reason_code):
    return item.signature_rejections + 1 if reason_code == JWT_INVALID else 0


def _error_outcome(error, item):
    if isinstance(error, SparTransientError):
        return "retry"
    if (
        error.reason_code == JWT_INVALID
        and _signature_rejections(item, error.reason_code) < SIGNATURE_ATTEMPTS
    ):
        return "retry"
    return "failed"


def read_back(client, expected, batch_size=1000):
    """{reference_id: ReadBack} for ``expected``, {reference_id: (spar_id, fa)}.

    Raises SparError when SPAR cannot answer: the rows stay unverified.
    """
    held = resolve_fas(
        client, sorted({spar_id for spar_id, _fa in expected.values()}), batch_size
    )
    results = {}
    for reference_id, (spar_id, fa) in expected.items():
        found = held.get(spar_id)
        if found == fa:
            results[reference_id] = ReadBack("verified")
        else:
            results[reference_id] = ReadBack("mismatch", redact(found))
    return results


def resolve_fas(client, spar_ids, batch_size=1000):
    """{spar_id: FA SPAR resolves, or None when unmapped}, in batches."""
    held = {}
    for start in range(0, len(spar_ids), batch_size):
        found = client.resolve(spar_ids[start : start + batch_size]).by_id()
        for spar_id, outcome in found.items():
            held[spar_id] = outcome.fa if outcome.linked else None
    return held
