"""Request items and envelopes: the shape the mapper expects; bad batches are
refused before anything is sent."""

import uuid
from datetime import datetime, timezone

import pytest
from protocol_helpers import FA, FA_SECRET_PART, envelope_for

from g2p_spar_fa_sync.lib.spar_envelope import (
    FaMapping,
    FaResolve,
    FaUnlink,
    encode_body,
)

ITEM_KEYS = {
    "link": [
        "reference_id",
        "timestamp",
        "id",
        "fa",
        "name",
        "phone_number",
        "additional_info",
        "locale",
    ],
    "unlink": ["reference_id", "timestamp", "id", "locale"],
    "resolve": ["reference_id", "timestamp", "id", "scope", "locale"],
}
ITEM_KEYS["update"] = ITEM_KEYS["link"]


def _items(action):
    if action in ("link", "update"):
        return [
            FaMapping("a", "token:1@NID", FA, additional_info=[{"k": "v"}]),
            FaMapping("b", "token:2@NID", "account:1@x.y.bank_acc", name="N"),
        ]
    if action == "unlink":
        return [FaUnlink("a", "token:1@NID"), FaUnlink("b", "token:2@NID")]
    return [FaResolve("a", "token:1@NID"), FaResolve("b", "token:2@NID", "yes_no")]


@pytest.mark.parametrize("action", ["link", "update", "unlink", "resolve"])
def test_envelope_shape(action):
    envelope = envelope_for(action, _items(action))
    assert list(envelope) == ["header", "message"]
    header = envelope["header"]
    assert header == {
        "version": "1.0.0",
        "message_id": header["message_id"],
        "message_ts": header["message_ts"],
        "action": action,
        "sender_id": "openg2p-sr",
        "sender_uri": "",
        "receiver_id": "spar",
        "total_count": 2,
        "is_msg_encrypted": False,
    }
    uuid.UUID(header["message_id"], version=4)
    stamp = datetime.fromisoformat(header["message_ts"])
    assert stamp.utcoffset().total_seconds() == 0
    assert abs((datetime.now(timezone.utc) - stamp).total_seconds()) < 60

    message = envelope["message"]
    assert list(message) == ["transaction_id", f"{action}_request"]
    uuid.UUID(message["transaction_id"], version=4)
    requested = message[f"{action}_request"]
    assert [r["reference_id"] for r in requested] == ["a", "b"]
    for entry in requested:
        assert list(entry) == ITEM_KEYS[action]
        assert entry["timestamp"] == header["message_ts"]
    if action in ("link", "update"):
        assert requested[0]["fa"] == FA
        assert requested[0]["additional_info"] == [{"k": "v"}]
        assert requested[0]["name"] is None
        assert requested[1]["name"] == "N"
    if action == "resolve":
        assert [r["scope"] for r in requested] == ["details", "yes_no"]


def test_each_envelope_gets_fresh_ids():
    first = envelope_for("link", _items("link"))
    second = envelope_for("link", _items("link"))
    assert first["header"]["message_id"] != second["header"]["message_id"]
    assert first["message"]["transaction_id"] != second["message"]["transaction_id"]
    assert first["header"]["message_id"] != first["message"]["transaction_id"]


def test_envelope_refuses_same_id_twice_without_naming_it():
    items = [FaMapping("a", "token:1@NID", FA), FaMapping("b", "token:1@NID", FA)]
    with pytest.raises(ValueError, match="items 0 and 1 have the same id") as caught:
        envelope_for("link", items)
    assert "token:1" not in str(caught.value)


def test_envelope_refuses_bad_batches():
    with pytest.raises(ValueError, match="reference_id"):
        envelope_for("unlink", [FaUnlink("a", "x"), FaUnlink("a", "y")])
    with pytest.raises(ValueError, match="at least one"):
        envelope_for("link", [])
    with pytest.raises(TypeError, match="FaUnlink"):
        envelope_for("unlink", [FaMapping("a", "x", FA)])
    with pytest.raises(ValueError, match="unknown SPAR action"):
        envelope_for("txnstatus", [FaResolve("a", "x")])


def test_items_refuse_empty_fields_without_echoing_values():
    with pytest.raises(ValueError, match="^fa must be a non-empty string$"):
        FaMapping("a", "token:1@NID", "")
    with pytest.raises(ValueError, match="^id must be"):
        FaUnlink("a", " ")
    with pytest.raises(ValueError, match="scope"):
        FaResolve("a", "x", scope="everything")
    # PostgreSQL refuses NUL: the mapper would fail the whole batch with a 500.
    with pytest.raises(ValueError, match="^name must not contain a NUL"):
        FaMapping("a", "token:1@NID", FA, name="Zo\x00ë")
    assert FaMapping("a", "token:1@NID", FA, name="", phone_number=None).name == ""


def test_reprs_redact_fa_and_hide_personal_fields():
    text = repr(FaMapping("a", "token:1@NID", FA, name="Zoë", phone_number="+2547"))
    assert FA_SECRET_PART not in text
    assert "Zoë" not in text
    assert "phone:*****678" in text


def test_encode_body_refuses_what_would_break_the_signature():
    envelope = envelope_for(
        "link", [FaMapping("a", "x", FA, additional_info=[{1: "a", "1": "b"}])]
    )
    with pytest.raises(ValueError, match="round trip"):
        encode_body(envelope)
    envelope = envelope_for(
        "link", [FaMapping("a", "x", FA, additional_info=[{"v": float("nan")}])]
    )
    with pytest.raises(ValueError):
        encode_body(envelope)
