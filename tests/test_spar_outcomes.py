"""Outcome classification: each mapper answer means one thing to the caller."""

import pytest
from protocol_helpers import ALREADY_MAPPED

from g2p_spar_fa_sync.lib.spar_outcomes import OutcomeKind, classify_outcome

K = OutcomeKind
LINK_FIRST = "ID doesnt exist please link first"


@pytest.mark.parametrize(
    ("action", "status", "code", "message", "kind"),
    [
        ("link", "succ", None, None, K.DONE),
        ("update", "succ", None, None, K.DONE),
        ("unlink", "succ", None, None, K.DONE),
        ("resolve", "succ", None, None, K.DONE),
        ("resolve", "succ", "succ.id.active", None, K.DONE),
        (
            "resolve",
            "succ",
            "succ.fa.not_linked_to_id",
            "ID doesn't exist",
            K.NOT_LINKED,
        ),
        ("resolve", "succ", "succ.id.not_found", None, K.NOT_LINKED),
        (
            "link",
            "rjct",
            "rjct.reference_id.duplicate",
            ALREADY_MAPPED,
            K.ALREADY_LINKED,
        ),
        ("link", "rjct", "rjct.reference_id.duplicate", None, K.ALREADY_LINKED),
        ("update", "rjct", "rjct.reference_id.duplicate", LINK_FIRST, K.NOT_LINKED),
        (
            "update",
            "rjct",
            "rjct.id.invalid",
            "Mapping doesnt exist against given ID. Use 'link' instead.",
            K.NOT_LINKED,
        ),
        ("update", "rjct", "rjct.reference_id.duplicate", "other", K.PERMANENT),
        ("unlink", "rjct", "rjct.id.invalid", LINK_FIRST, K.ALREADY_ABSENT),
        ("unlink", "rjct", "rjct.id.invalid", "ID is null", K.PERMANENT),
        ("link", "rjct", "rjct.id.invalid", "ID is null", K.PERMANENT),
        ("link", "rjct", "rjct.fa.invalid", "FA is null", K.PERMANENT),
        ("update", "rjct", "rjct.fa.invalid", "FA is null", K.PERMANENT),
        ("resolve", "rjct", "rjct.reference_id.invalid", "ID is required", K.PERMANENT),
        ("link", "rjct", "rjct.unknown.retry", None, K.RETRY),
        ("update", "rjct", "rjct.internal.error", None, K.RETRY),
        ("unlink", "rjct", "rjct.internal.error", None, K.RETRY),
        ("link", "pdng", None, None, K.RETRY),
        ("link", "rjct", "rjct.other.error", None, K.PERMANENT),
        ("link", None, None, None, K.PERMANENT),
        ("link", "weird", None, None, K.PERMANENT),
    ],
)
def test_classification(action, status, code, message, kind):
    assert classify_outcome(action, status, code, message) is kind
