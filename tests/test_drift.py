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


def test_strategy_id_is_an_entry_of_its_own_beside_kind_and_digest():
    _phone, plain = snapshot_details("bank", None, "Jo", KEY)
    _phone, with_strategy = snapshot_details("bank", None, "Jo", KEY, 7)
    assert with_strategy == (*plain, {"strategy_id": 7})
    assert snapshot_details("bank", None, "Jo", KEY, 0) == (None, plain)


def test_a_mapping_with_another_strategy_is_a_details_drift():
    ours = expected_snapshot(FA, "mobile", "+254712345678", "Jo", KEY, 3)
    held = expected_snapshot(FA, "mobile", "+254712345678", "Jo", KEY)
    assert drift_kind(ours, held) == DETAILS
    assert drift_kind(ours, ours) is None
