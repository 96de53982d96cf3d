"""The one drift decision shared by reconciliation, live check and read-back."""

import pytest

from g2p_spar_fa_sync.lib.drift import DETAILS, DIFFERENT, MISSING, ORPHAN, drift_kind
from g2p_spar_fa_sync.lib.spar_push import expected_snapshot, snapshot_details

KEY = b"test-key"
FA = "phone:+254712345678"
INFO = ({"fa_kind": "mobile", "details_digest": "a"},)
OTHER_INFO = ({"fa_kind": "mobile", "details_digest": "b"},)


@pytest.mark.parametrize(
    ("expected", "held", "kind"),
    [
        ((FA, INFO), (FA, INFO), None),
        (None, None, None),
        ((FA, INFO), None, MISSING),
        (None, (FA, INFO), ORPHAN),
        ((FA, INFO), ("phone:+254700000000", INFO), DIFFERENT),
        ((FA, INFO), ("phone:+254700000000", OTHER_INFO), DIFFERENT),
        ((FA, INFO), (FA, OTHER_INFO), DETAILS),
        ((FA, INFO), (FA, ()), DETAILS),
    ],
)
def test_drift_kind(expected, held, kind):
    assert drift_kind(expected, held) == kind


def test_expected_snapshot_is_what_a_push_sends():
    assert expected_snapshot(False, "mobile", "+254712345678", "Jo", KEY) is None
    assert expected_snapshot(FA, "mobile", "+254712345678", "Jo", KEY) == (
        FA,
        snapshot_details("mobile", "+254712345678", "Jo", KEY)[1],
    )


def test_a_renamed_registrant_drifts_in_details_only():
    before = expected_snapshot(FA, "mobile", "+254712345678", "Jo", KEY)
    after = expected_snapshot(FA, "mobile", "+254712345678", "Joan", KEY)
    assert drift_kind(after, before) == DETAILS
