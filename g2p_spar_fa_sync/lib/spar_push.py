"""Push one batch of outbox heads to SPAR and read the result back.

Plain Python (no Odoo): the outbox model claims rows and stores what this
returns; everything about talking to SPAR -- grouping by action, falling back
between link and update on SPAR's answer, telling transient from permanent
failures, verifying by resolve -- happens here, testable against the real
mapper without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    """What became of one item. ``outcome`` is done, retry or failed.

    ``error`` never holds an FA in clear; ``verification`` is None when no
    read-back was made (unlink, or resolve unavailable), else "verified" or
    "mismatch", with what SPAR holds instead in ``spar_fa_masked``.
    """

    outcome: str
    sent_operation: str | None = None
    reason_code: str | None = None
    error: str | None = None
    message_id: str | None = None
    transaction_id: str | None = None
    verification: str | None = None
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


def push_batch(client, items, verify=True):
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
    if verify:
        _verify(client, items, results)
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
                message_id=getattr(error, "message_id", None),
                transaction_id=getattr(error, "transaction_id", None),
            )
        return []
    again = []
    for item in group:
        outcome = answer[item.reference_id]
        common = {
            "reason_code": outcome.reason_code,
            "message_id": answer.message_id,
            "transaction_id": answer.transaction_id,
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


def _error_outcome(error, item):
    if isinstance(error, SparTransientError):
        return "retry"
    if (
        error.reason_code == JWT_INVALID
        and item.signature_rejections + 1 < SIGNATURE_ATTEMPTS
    ):
        return "retry"
    return "failed"


def _verify(client, items, results):
    """Resolve what was just linked or updated and compare with what we sent.

    A failed resolve leaves the rows done but unverified: the change did
    reach SPAR, and the reconciliation will look again.
    """
    to_check = [
        item
        for item in items
        if results[item.reference_id].outcome == "done"
        and results[item.reference_id].sent_operation != "unlink"
    ]
    if not to_check:
        return
    try:
        found = client.resolve([item.spar_id for item in to_check]).by_id()
    except SparError:
        return
    for item in to_check:
        outcome = found.get(item.spar_id)
        held = outcome.fa if outcome is not None and outcome.linked else None
        verified = held == item.fa
        results[item.reference_id] = replace(
            results[item.reference_id],
            verification="verified" if verified else "mismatch",
            spar_fa_masked=None if verified else redact(held),
        )


def resolve_fas(client, spar_ids, batch_size=1000):
    """{spar_id: FA SPAR resolves, or None when unmapped}, in batches."""
    held = {}
    for start in range(0, len(spar_ids), batch_size):
        found = client.resolve(spar_ids[start : start + batch_size]).by_id()
        for spar_id, outcome in found.items():
            held[spar_id] = outcome.fa if outcome.linked else None
    return held
