"""The outbox's table of moves: what it refuses, and that STATES.md shows it."""

import itertools

import pytest

from g2p_spar_fa_sync.lib import outbox_states as st

STATE_NAMES = [value for value, _label in st.STATES]
VERDICTS = [value for value, _label in st.VERIFICATIONS]
TABLE = {
    ("state", source, target)
    for move in st.MOVES.values()
    if move.field == "state"
    for source in move.sources
    for target in move.targets
} | {
    ("verification", source, target)
    for source in st.MOVES["read_back"].sources
    for target in st.MOVES["read_back"].targets
}


@pytest.mark.parametrize(
    ("field", "source", "target"),
    [
        (field, source, target)
        for field, names in (("state", STATE_NAMES), ("verification", VERDICTS))
        for source, target in itertools.permutations(names, 2)
        if (field, source, target) not in TABLE
    ],
)
def test_every_move_not_in_the_table_is_refused(field, source, target):
    assert not st.allowed(field, source, target)


@pytest.mark.parametrize(("field", "source", "target"), sorted(TABLE))
def test_every_move_in_the_table_is_allowed(field, source, target):
    assert st.allowed(field, source, target)


def test_final_states_have_no_way_out():
    for state in st.FINAL:
        assert not any(st.allowed("state", state, t) for t in STATE_NAMES if t != state)
    # Only a done row is read back; superseded and cancelled never reach SPAR.
    assert set(st.FINAL) - {st.DONE} == {st.SUPERSEDED, st.CANCELLED}


def test_a_move_of_another_field_is_no_state_move():
    assert not st.allowed("verification", st.PENDING, st.SENDING)
    assert not st.allowed("state", st.UNVERIFIED, st.VERIFIED)


def test_unfinished_final_and_waiting_cover_the_states():
    assert set(st.UNFINISHED) | set(st.FINAL) == set(STATE_NAMES)
    assert not set(st.UNFINISHED) & set(st.FINAL)
    assert set(st.WAITING) <= set(st.UNFINISHED)


def test_sql_in_takes_state_names_only():
    assert st.sql_in("o.state", st.WAITING) == "o.state IN ('pending', 'retry_wait')"
    assert st.sql_in("state", (st.DONE,)) == "state = 'done'"
    with pytest.raises(ValueError):
        st.sql_in("state", ("done'; DROP TABLE x; --",))


def test_states_md_shows_the_table_of_the_lib():
    text = st.STATES_MD.read_text()
    assert st.with_moves_table(text) == text, (
        "readme/STATES.md is out of date: "
        "python3 -m g2p_spar_fa_sync.lib.outbox_states --write"
    )
    for name in st.MOVES:
        assert f"| {name} |" in text


def test_every_push_outcome_ends_in_a_target_of_the_result_move():
    assert set(st.STATE_AFTER_PUSH.values()) == set(st.MOVES["result"].targets)


def test_every_channel_has_a_lane_and_people_at_a_screen_are_interactive():
    from g2p_spar_fa_base.lib import change

    channels = [value for value, _label in change.CHANNELS]
    assert set(st.INTERACTIVE_CHANNELS) <= set(channels)
    lanes = {channel: st.lane_of(channel) for channel in channels}
    assert lanes == {
        change.BACKEND: st.INTERACTIVE,
        change.PORTAL: st.INTERACTIVE,
        change.API: st.INTERACTIVE,
        change.ODK: st.BULK,
        change.IMPORT: st.BULK,
        change.RPC: st.BULK,
        change.CODE: st.BULK,
        change.FORMAT: st.BULK,
        change.BACKFILL: st.BULK,
        change.BANK_ACCOUNT: st.INTERACTIVE,
    }


def test_the_interactive_index_matches_the_claim_of_its_lane():
    _columns, where = st.INDEXES["g2p_spar_outbox_interactive_idx"]
    # The claim's subquery must repeat the index predicate to use it.
    assert where.replace("state", "i.state").replace(
        "channel", "i.channel"
    ) in " ".join(st.INTERACTIVE_HEAD_SQL.split())
