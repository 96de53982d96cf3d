"""What the SPAR mapper's per-item answers mean for the caller.

The mapper answers every well-formed, well-signed request with HTTP 200 and one
status per item (``header.status`` says ``succ`` even when every item failed),
and it reuses reason codes for different situations. :func:`classify_outcome`
is the one place that turns an answer into an :class:`OutcomeKind`, the thing
callers decide on; :class:`SparResult` holds one request's outcomes, matched by
``reference_id``, never by position.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .redaction import redact

__all__ = [
    "JWT_INVALID",
    "TRANSIENT_REASON_CODES",
    "Outcome",
    "OutcomeKind",
    "SparResult",
    "classify_outcome",
]

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

    Also carries the request's ``message_id`` / ``transaction_id``, for
    correlating with the mapper's logs.
    """

    def __init__(self, action, message_id, transaction_id, outcomes):
        self.action = action
        self.message_id = message_id
        self.transaction_id = transaction_id
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
