"""push_batch and read_back decisions the real mapper cannot make on cue.

Per-item transient codes, link/update conflicts that never settle and a
resolve that fails come from a scripted client; every path the real mapper
can produce is tested against it in the Odoo suite.
"""

import pytest

from g2p_spar_fa_sync.lib import spar_protocol as sp
from g2p_spar_fa_sync.lib.spar_push import (
    MAX_ROUNDS,
    SIGNATURE_ATTEMPTS,
    PushItem,
    push_batch,
    read_back,
    snapshot_details,
)


class ScriptedClient:
    """Answers each call from a script: {action: callable(item) -> outcome kind}."""

    def __init__(self, script, resolved=None, resolve_error=None):
        self.script = script
        self.resolved = resolved or {}
        self.resolve_error = resolve_error
        self.calls = []

    def _answer(self, action, items):
        self.calls.append((action, [item.id for item in items]))
        answer = self.script[action]
        if isinstance(answer, Exception):
            raise answer
        outcomes = {
            item.reference_id: sp.Outcome(
                action, item.reference_id, item.id, answer(item), "rjct", "code", "msg"
            )
            for item in items
        }
        return sp.SparResult(action, "m1", "t1", outcomes)

    def link(self, items):
        return self._answer("link", items)

    def update(self, items):
        return self._answer("update", items)

    def unlink(self, items):
        return self._answer("unlink", items)

    def resolve(self, ids):
        """``resolved``: {id: fa} or {id: (fa, additional_info)}."""
        self.calls.append(("resolve", list(ids)))
        if self.resolve_error:
            raise self.resolve_error
        held = {
            i: value if isinstance(value, tuple) else (value, ())
            for i, value in self.resolved.items()
        }
        outcomes = {
            i: sp.Outcome(
                "resolve",
                i,
                i,
                sp.OutcomeKind.DONE if i in held else sp.OutcomeKind.NOT_LINKED,
                "succ",
                fa=held.get(i, (None,))[0],
                additional_info=held.get(i, (None, None))[1],
            )
            for i in ids
        }
        return sp.SparResult("resolve", "m2", "t2", outcomes)


def item(ref, operation="link", fa="phone:+254712345678", rejections=0, **details):
    return PushItem(
        ref,
        operation,
        f"token:{ref}@REG",
        fa,
        signature_rejections=rejections,
        **details,
    )


KEY = b"test-key"
BANK = "account_no:0123456789@TESTBICXXX"


def bank_item(ref, operation):
    """A bank FA's snapshot: name and kind, no payment phone."""
    _phone, info = snapshot_details("bank", None, "Amina", KEY)
    return item(ref, operation, BANK, name="Amina", additional_info=info)


def mobile_item(ref, operation):
    phone, info = snapshot_details("mobile", "+254712345678", "Amina", KEY)
    return item(
        ref,
        operation,
        "phone:+254712345678",
        name="Amina",
        phone_number=phone,
        additional_info=info,
    )


def kind(value):
    return lambda _item: value


def test_link_conflict_falls_back_to_update():
    client = ScriptedClient(
        {
            "link": kind(sp.OutcomeKind.ALREADY_LINKED),
            "update": kind(sp.OutcomeKind.DONE),
        }
    )
    result = push_batch(client, [mobile_item("a", "link")])["a"]
    assert (result.outcome, result.sent_operation) == ("done", "update")
    assert [c[0] for c in client.calls] == ["link", "update"]


def test_conflicts_that_never_settle_wait_for_a_later_attempt():
    client = ScriptedClient(
        {
            "link": kind(sp.OutcomeKind.ALREADY_LINKED),
            "update": kind(sp.OutcomeKind.NOT_LINKED),
        }
    )
    result = push_batch(client, [mobile_item("a", "link")])["a"]
    assert result.outcome == "retry"
    assert len(client.calls) == MAX_ROUNDS


def test_item_level_retry_and_permanent_codes():
    outcomes = {"a": sp.OutcomeKind.RETRY, "b": sp.OutcomeKind.PERMANENT}
    client = ScriptedClient({"link": lambda i: outcomes[i.reference_id]})
    results = push_batch(client, [item("a"), item("b")])
    assert results["a"].outcome == "retry"
    assert results["b"].outcome == "failed"
    assert results["b"].error == "code: msg"


def test_a_failed_request_fails_only_its_own_action():
    client = ScriptedClient(
        {
            "unlink": sp.SparTransientError("HTTP 500", action="unlink"),
            "link": kind(sp.OutcomeKind.DONE),
        }
    )
    results = push_batch(client, [item("a", "unlink"), item("b", "link")])
    assert results["a"].outcome == "retry"
    assert results["b"].outcome == "done"


@pytest.mark.parametrize(
    ("rejections", "expected"),
    [
        (0, "retry"),
        (SIGNATURE_ATTEMPTS - 2, "retry"),
        (SIGNATURE_ATTEMPTS - 1, "failed"),
    ],
)
def test_rejected_signature_is_retried_a_few_times_then_failed(rejections, expected):
    error = sp.SparPermanentError(
        "signature rejected", action="link", reason_code=sp.JWT_INVALID
    )
    client = ScriptedClient({"link": error})
    result = push_batch(client, [item("a", rejections=rejections)])["a"]
    assert result.outcome == expected
    assert result.reason_code == sp.JWT_INVALID


def test_read_back_verifies_each_row_against_what_spar_resolves():
    client = ScriptedClient(
        {},
        resolved={
            "token:a@REG": "phone:+254712345678",
            "token:b@REG": "phone:+254799999999",
        },
    )
    expected = {
        "1": ("token:a@REG", "phone:+254712345678", ()),
        "2": ("token:b@REG", "phone:+254712345678", ()),
        "3": ("token:c@REG", "phone:+254712345678", ()),
        "4": ("token:a@REG", "phone:+254712345678", ()),
    }
    results = read_back(client, expected)
    assert {ref: r.verification for ref, r in results.items()} == {
        "1": "verified",
        "2": "mismatch",
        "3": "mismatch",
        "4": "verified",
    }
    assert "799999999" not in results["2"].spar_fa_masked
    assert results["3"].spar_fa_masked == sp.redact(None)
    # One resolve, each SPAR id once: SPAR fails a batch naming an id twice.
    assert [c[0] for c in client.calls] == ["resolve"]
    assert sorted(client.calls[0][1]) == ["token:a@REG", "token:b@REG", "token:c@REG"]


def test_read_back_raises_when_spar_cannot_resolve():
    client = ScriptedClient(
        {}, resolve_error=sp.SparTransientError("timeout", action="resolve")
    )
    with pytest.raises(sp.SparTransientError):
        read_back(client, {"1": ("token:a@REG", "phone:+254712345678", ())})


def test_snapshot_without_phone_replaces_the_mapping_unlink_first():
    # SPAR's update keeps a field sent empty: the old payment phone would stay.
    client = ScriptedClient(
        {"unlink": kind(sp.OutcomeKind.DONE), "link": kind(sp.OutcomeKind.DONE)}
    )
    result = push_batch(client, [bank_item("a", "update")])["a"]
    assert (result.outcome, result.sent_operation) == ("done", "link")
    # Two requests, unlink first: SPAR fails one request naming an id twice.
    assert client.calls == [("unlink", ["token:a@REG"]), ("link", ["token:a@REG"])]


def test_snapshot_with_phone_is_an_update():
    client = ScriptedClient({"update": kind(sp.OutcomeKind.DONE)})
    result = push_batch(client, [mobile_item("a", "update")])["a"]
    assert (result.outcome, result.sent_operation) == ("done", "update")
    assert [c[0] for c in client.calls] == ["update"]


def test_link_of_a_mapped_id_without_phone_relinks():
    links = iter([sp.OutcomeKind.ALREADY_LINKED, sp.OutcomeKind.DONE])
    client = ScriptedClient(
        {
            "link": lambda _item: next(links),
            "unlink": kind(sp.OutcomeKind.DONE),
        }
    )
    result = push_batch(client, [bank_item("a", "link")])["a"]
    assert (result.outcome, result.sent_operation) == ("done", "link")
    assert [c[0] for c in client.calls] == ["link", "unlink", "link"]


def test_relink_whose_unlink_is_refused_never_links():
    client = ScriptedClient(
        {"unlink": kind(sp.OutcomeKind.PERMANENT), "link": kind(sp.OutcomeKind.DONE)}
    )
    result = push_batch(client, [bank_item("a", "update")])["a"]
    assert result.outcome == "failed"
    assert [c[0] for c in client.calls] == ["unlink"]


def test_read_back_compares_the_details_spar_returns():
    _phone, ours = snapshot_details("mobile", "+254712345678", "Amina", KEY)
    _phone, stale = snapshot_details("mobile", "+254712345678", "Old Name", KEY)
    client = ScriptedClient(
        {},
        resolved={
            "token:a@REG": ("phone:+254712345678", ours),
            "token:b@REG": ("phone:+254712345678", stale),
        },
    )
    results = read_back(
        client,
        {
            "1": ("token:a@REG", "phone:+254712345678", ours),
            "2": ("token:b@REG", "phone:+254712345678", ours),
        },
    )
    assert results["1"].verification == "verified"
    assert results["2"].verification == "mismatch"


def test_snapshot_details_publish_neither_name_nor_phone():
    phone, info = snapshot_details("mobile", "+254712345678", "Amina", KEY)
    assert phone == "+254712345678"
    assert "254712345678" not in repr(info) and "Amina" not in repr(info)
    assert info[0]["fa_kind"] == "mobile"
    assert snapshot_details("bank", "+254712345678", "Amina", KEY)[0] is None
    # Each of name, phone and key changes the digest.
    digests = {
        snapshot_details(*args)[1][0]["details_digest"]
        for args in (
            ("mobile", "+254712345678", "Amina", KEY),
            ("mobile", "+254712345679", "Amina", KEY),
            ("mobile", "+254712345678", "Amina O.", KEY),
            ("mobile", "+254712345678", "Amina", b"other key"),
        )
    }
    assert len(digests) == 4
