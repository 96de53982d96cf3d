"""Push one batch of outbox heads to SPAR; read what SPAR holds back.

Plain Python (no Odoo): the outbox model claims rows and stores what this
returns; everything about talking to SPAR -- grouping by action, falling back
between link and update on SPAR's answer, telling transient from permanent
failures, making SPAR hold exactly the snapshot, verifying by resolve --
happens here, testable against the real mapper without a database.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

from .drift import drift_kind
from .redaction import redact
from .spar_client import SparError, SparTransientError
from .spar_envelope import FaMapping, FaUnlink
from .spar_outcomes import JWT_INVALID, OutcomeKind

# SPAR answers rjct.jwt.invalid for a wrong key, but also when its key
# manager fails (it reads any unreadable verifier answer as "invalid"): a
# signature rejected this many times in a row fails the row. Counted apart
# from attempts, so rows that already waited out an outage keep their
# chances.
SIGNATURE_ATTEMPTS = 3
# link -> update -> link covers "mapped meanwhile" and "unmapped meanwhile";
# a row still bouncing after that waits for a later attempt.
MAX_ROUNDS = 3
# A row SPAR fails alone with HTTP 5xx this many times in a row is failed:
# something in the row itself (an over-long value, say) breaks SPAR, and
# retrying it forever would keep it, and its registrant, out of sight.
SERVER_ERROR_ATTEMPTS = 5
# Whole-request answers about the request's content (schema, size): split.
SPLIT_HTTP = frozenset({400, 413, 422})
# Resolved (yes/no) to learn whether SPAR answers at all; no registrant has it.
PROBE_ID = "token:g2p-spar-fa-sync-probe@probe"


def payment_phone(kind, msisdn):
    """The phone SPAR holds for an FA: a wallet's own number, none for other
    kinds (a contact number never becomes a payment destination)."""
    return (msisdn or None) if kind == "mobile" else None


def snapshot_details(kind, msisdn, name, key, strategy_id=None):
    """(phone_number, additional_info) SPAR must hold beside the FA.

    SPAR's resolve returns the FA and additional_info of a mapping, never the
    name or phone it stores: so additional_info carries, beside the FA kind,
    a digest of the name and phone keyed with ``key`` (bytes, a secret of the
    database). A read-back then sees whether SPAR holds this snapshot's name
    and phone, and whoever resolves learns nothing from the digest. With
    ``strategy_id`` (SPAR's id of the format the FA was built with) an entry
    ``{"strategy_id": N}`` follows, which SPAR self-service reads to
    deconstruct the FA.
    """
    phone = payment_phone(kind, msisdn)
    digest = hmac.new(
        key, json.dumps([name or "", phone or ""]).encode(), hashlib.sha256
    ).hexdigest()
    info = ({"fa_kind": kind, "details_digest": digest},)
    if strategy_id:
        info += ({"strategy_id": strategy_id},)
    return phone, info


def expected_snapshot(fa, kind, msisdn, name, key, strategy_id=None):
    """(FA, additional_info) SPAR must resolve for a registrant whose current
    FA is ``fa`` (of ``kind``, wallet number ``msisdn``, built per SPAR
    strategy ``strategy_id``), or None without one: what
    :func:`.drift.drift_kind` compares with what SPAR holds."""
    if not fa:
        return None
    return fa, snapshot_details(kind, msisdn, name, key, strategy_id)[1]


@dataclasses.dataclass(frozen=True)
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
    server_errors: int = 0
    # Whether SPAR may hold a payment phone for this ID: unknown counts as
    # yes. False when the last snapshot SPAR accepted for it had no phone.
    spar_may_hold_phone: bool = True


@dataclasses.dataclass(frozen=True)
class PushResult:
    """What became of one item. ``outcome`` is done, retry or failed;
    ``error`` never holds an FA in clear. ``signature_rejections``: how many
    times in a row SPAR has now rejected the item's signature;
    ``server_errors``: how many times in a row SPAR has now failed a request
    of this item alone with HTTP 5xx."""

    outcome: str
    sent_operation: str | None = None
    reason_code: str | None = None
    error: str | None = None
    message_id: str | None = None
    transaction_id: str | None = None
    signature_rejections: int = 0
    server_errors: int = 0


@dataclasses.dataclass(frozen=True)
class ReadBack:
    """What SPAR resolved for one pushed row: ``verification`` is "verified"
    when it holds exactly the snapshot expected (FA and additional_info, so
    name and phone through its digest), else "mismatch" with the FA it holds
    instead, masked, in ``spar_fa_masked``."""

    verification: str
    spar_fa_masked: str | None = None


def _overwrite(item):
    """How to replace a mapping SPAR holds with ``item``'s snapshot.

    SPAR's update keeps every field sent empty: an update without a phone
    would leave a payment phone SPAR may hold. Such a snapshot replaces the
    mapping instead, an unlink then a link (``relink``), unless SPAR is known
    to hold no phone for the ID: most changes (a bank account edited, a
    rename) stay one update, with no moment where the ID maps nothing.
    """
    if item.phone_number or not item.spar_may_hold_phone:
        return "update"
    return "relink"


def _fallback(kind, operation, item):
    """The operation to send instead after SPAR's answer, or None."""
    if (kind, operation) == (OutcomeKind.ALREADY_LINKED, "link"):
        # Mapped by something we did not see: what it holds is unknown.
        return _overwrite(dataclasses.replace(item, spar_may_hold_phone=True))
    if (kind, operation) == (OutcomeKind.NOT_LINKED, "update"):
        return "link"
    return None


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

    An item to map without an FA fails without reaching SPAR. One request
    per action and round. A whole-request failure applies to every item of
    that request only: a bad unlink batch does not stop links, and a request
    failed for one item it carries is split to isolate it. A relink goes in
    the round's unlink request and, once its mapping is gone, in the round's
    link request: two requests, in that order, as SPAR fails a request
    naming an id twice.
    """
    push = _Push(client)
    for item in items:
        if item.operation != "unlink" and not item.fa:
            push.results[item.reference_id] = PushResult(
                "failed", error="no FA of the registrant's history to send"
            )
    planned = [
        (item, _overwrite(item) if item.operation == "update" else item.operation)
        for item in items
        if item.reference_id not in push.results
    ]
    for _round in range(MAX_ROUNDS):
        groups = {op: [] for op in ("unlink", "relink", "link", "update")}
        for item, op in planned:
            groups[op].append(item)
        fallbacks = []
        if groups["unlink"] or groups["relink"]:
            relinks = {item.reference_id for item in groups["relink"]}
            unlinked = push.send("unlink", groups["unlink"] + groups["relink"], relinks)
            groups["link"] += [item for item, _op in unlinked]
        for operation in ("link", "update"):
            if groups[operation]:
                fallbacks += push.send(operation, groups[operation])
        planned = fallbacks
        if not planned:
            break
    for item, operation in planned:
        push.results[item.reference_id] = PushResult(
            "retry",
            error=f"SPAR still answered {operation} conflicts after "
            f"{MAX_ROUNDS} rounds; will try again",
        )
    return push.results


class _Push:
    """One ``push_batch``: its results so far, and whether SPAR was seen
    answering, which tells an item SPAR cannot take from SPAR being down."""

    def __init__(self, client):
        self.client = client
        self.results = {}
        # None until a request of this push is answered (True) or the probe
        # finds SPAR failing every request (False).
        self.spar_answers = None

    def send(self, operation, group, relinks=frozenset()):
        """One request; fills ``results`` and returns the items to send again,
        with their operation. Items whose reference id is in ``relinks`` come
        back to be linked once SPAR no longer maps their id.

        A request SPAR fails as a whole for what it carries is split in
        halves until the item it chokes on is alone: the others get through
        in this job instead of failing with it, batch after batch.
        """
        try:
            answer = getattr(self.client, operation)(_request_items(operation, group))
        except SparError as error:
            if len(group) > 1 and self._blames_items(error):
                half = len(group) // 2
                return self.send(operation, group[:half], relinks) + self.send(
                    operation, group[half:], relinks
                )
            self._record_error(group, error)
            return []
        self.spar_answers = True
        again = []
        for item in group:
            outcome = answer[item.reference_id]
            common = {
                "reason_code": outcome.reason_code,
                "message_id": answer.message_id,
                "transaction_id": answer.transaction_id,
                "signature_rejections": _signature_rejections(
                    item, outcome.reason_code
                ),
            }
            fallback = _fallback(outcome.kind, operation, item)
            if item.reference_id in relinks and outcome.kind in (
                OutcomeKind.DONE,
                OutcomeKind.ALREADY_ABSENT,
            ):
                again.append((item, "link"))
            elif fallback:
                again.append((item, fallback))
            elif outcome.kind in (OutcomeKind.DONE, OutcomeKind.ALREADY_ABSENT):
                self.results[item.reference_id] = PushResult(
                    "done", sent_operation=operation, **common
                )
            elif outcome.kind is OutcomeKind.RETRY:
                self.results[item.reference_id] = PushResult(
                    "retry", error=_describe(outcome), **common
                )
            else:
                self.results[item.reference_id] = PushResult(
                    "failed", error=_describe(outcome), **common
                )
        return again

    def _blames_items(self, error):
        """Whether SPAR failed the request for what it carries.

        A schema error or an oversized body is about the content. A 5xx is
        too (the mapper answers 500 to a value its database refuses), unless
        SPAR fails every request: a mapper whose key manager is unreachable
        answers 500 to everything, and splitting then would only multiply
        requests and count an outage against each row. A cheap resolve tells
        the two apart, once per push.
        """
        status = error.http_status
        if status in SPLIT_HTTP:
            return True
        if status is None or status < 500:
            return False
        if self.spar_answers is None:
            try:
                self.client.resolve([PROBE_ID], scope="yes_no")
            except SparError:
                self.spar_answers = False
            else:
                self.spar_answers = True
        return self.spar_answers

    def _record_error(self, group, error):
        # Alone and blamed: a streak of these fails the row (see
        # SERVER_ERROR_ATTEMPTS); an outage neither adds to nor clears it.
        alone = (
            len(group) == 1
            and error.http_status is not None
            and error.http_status >= 500
            and self._blames_items(error)
        )
        for item in group:
            outcome, text = _error_outcome(error, item), str(error)
            server_errors = item.server_errors
            if alone:
                server_errors += 1
                outcome, text = _lone_server_error(error, server_errors)
            self.results[item.reference_id] = PushResult(
                outcome,
                reason_code=error.reason_code,
                error=text,
                message_id=error.message_id,
                transaction_id=error.transaction_id,
                signature_rejections=_signature_rejections(item, error.reason_code),
                server_errors=server_errors,
            )


def _lone_server_error(error, count):
    """Outcome and error text of an item SPAR failed alone with a 5xx."""
    answer = f"HTTP {error.http_status}" + (
        f" ({error.error_codes})" if error.error_codes else ""
    )
    if count < SERVER_ERROR_ATTEMPTS:
        return "retry", (
            f"SPAR answered {answer} to a {error.action} of this row alone "
            f"({count} of {SERVER_ERROR_ATTEMPTS} times in a row); will try again"
        )
    return "failed", (
        f"SPAR answered {answer} to a {error.action} of this row alone "
        f"{count} times in a row: it cannot take this row's values. Correct "
        "them (or cancel the row), then retry"
    )


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
    """{reference_id: ReadBack} for ``expected``, {reference_id: (spar_id,
    fa, additional_info)}: the snapshot SPAR must hold, derived from the FA
    record, never from what a row says it sent.

    Raises SparError when SPAR cannot answer: the rows stay unverified.
    """
    held = resolve_mappings(
        client, sorted({want[0] for want in expected.values()}), batch_size
    )
    results = {}
    for reference_id, (spar_id, fa, additional_info) in expected.items():
        found = held.get(spar_id)
        if drift_kind((fa, tuple(additional_info)), found) is None:
            results[reference_id] = ReadBack("verified")
        else:
            results[reference_id] = ReadBack("mismatch", redact(found and found[0]))
    return results


def resolve_mappings(client, spar_ids, batch_size=1000):
    """{spar_id: (FA, additional_info) SPAR resolves, or None when
    unmapped}, in batches."""
    held = {}
    for start in range(0, len(spar_ids), batch_size):
        found = client.resolve(spar_ids[start : start + batch_size]).by_id()
        for spar_id, outcome in found.items():
            held[spar_id] = (
                (outcome.fa, outcome.additional_info or ()) if outcome.linked else None
            )
    return held


def resolve_fas(client, spar_ids, batch_size=1000):
    """{spar_id: FA SPAR resolves, or None when unmapped}, in batches."""
    return {
        spar_id: found and found[0]
        for spar_id, found in resolve_mappings(client, spar_ids, batch_size).items()
    }
