"""The SPAR protocol module against the real SPAR mapper of the test stack.

Runs under ``scripts/stack.py test`` (which sets the ``G2P_SPAR_*`` variables
the ``spar_stack`` fixture reads) and skips elsewhere. Every test uses ids of
its own (uuid), so the tests neither depend on nor disturb each other.
"""

import json
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from g2p_spar_fa_sync.lib.spar_protocol import (
    FaMapping,
    FaUnlink,
    OutcomeKind,
    RequestSigner,
    SparClient,
    SparPermanentError,
    SparTransientError,
    build_envelope,
)

K = OutcomeKind


@pytest.fixture(scope="module")
def signer(spar_stack):
    return RequestSigner.from_file(spar_stack["private_key_file"])


def _client(spar_stack, signer):
    return SparClient(
        spar_stack["url"],
        signer,
        spar_stack["sender_id"],
        spar_stack["receiver_id"],
        timeout=(5, 60),
    )


@pytest.fixture
def client(spar_stack, signer):
    with _client(spar_stack, signer) as spar_client:
        yield spar_client


def new_id():
    return f"token:{uuid.uuid4().hex}@TEST_ID"


def new_fa():
    return f"account_no:{uuid.uuid4().int % 10**12:012d}@TESTBICXXX"


def resolve_one(client, id_value):
    return client.resolve([id_value]).by_id()[id_value]


def test_link_then_resolve_returns_the_fa(client):
    id_value, fa = new_id(), new_fa()
    result = client.link([FaMapping("r1", id_value, fa, name="Amina")])
    assert result["r1"].kind is K.DONE
    assert result["r1"].status == "succ"

    outcome = resolve_one(client, id_value)
    assert outcome.linked
    assert outcome.fa == fa


def test_update_then_resolve_returns_the_new_fa(client):
    id_value, first, second = new_id(), new_fa(), new_fa()
    assert client.link([FaMapping("r", id_value, first)])["r"].kind is K.DONE

    result = client.update([FaMapping("u", id_value, second)])
    assert result["u"].kind is K.DONE
    assert resolve_one(client, id_value).fa == second


def test_link_of_a_linked_id_is_already_linked(client):
    id_value, fa = new_id(), new_fa()
    client.link([FaMapping("r", id_value, fa)])

    outcome = client.link([FaMapping("again", id_value, new_fa())])["again"]
    assert outcome.kind is K.ALREADY_LINKED
    assert outcome.reason_code == "rjct.reference_id.duplicate"
    assert resolve_one(client, id_value).fa == fa  # nothing changed


def test_update_of_an_unknown_id_is_not_linked(client):
    id_value = new_id()
    outcome = client.update([FaMapping("u", id_value, new_fa())])["u"]
    assert outcome.kind is K.NOT_LINKED
    # Same reason code as "already linked": only the message tells them apart.
    assert outcome.reason_code == "rjct.reference_id.duplicate"
    assert resolve_one(client, id_value).kind is K.NOT_LINKED


def test_unlink_then_resolve_is_not_linked(client):
    id_value = new_id()
    client.link([FaMapping("r", id_value, new_fa())])

    assert client.unlink([FaUnlink("d", id_value)])["d"].kind is K.DONE
    outcome = resolve_one(client, id_value)
    assert outcome.kind is K.NOT_LINKED
    assert not outcome.linked
    assert outcome.fa is None
    assert outcome.reason_code == "succ.fa.not_linked_to_id"


def test_unlink_of_an_unknown_id_is_already_absent(client):
    outcome = client.unlink([FaUnlink("d", new_id())])["d"]
    assert outcome.kind is K.ALREADY_ABSENT
    assert outcome.reason_code == "rjct.id.invalid"


def test_mixed_batch_outcomes_are_matched_by_reference_id(client):
    linked, unknown = new_id(), new_id()
    client.link([FaMapping("seed", linked, new_fa())])

    result = client.link(
        [FaMapping("fresh", new_id(), new_fa()), FaMapping("dup", linked, new_fa())]
    )
    assert result["fresh"].kind is K.DONE
    assert result["dup"].kind is K.ALREADY_LINKED
    result = client.unlink([FaUnlink("gone", unknown), FaUnlink("here", linked)])
    assert result["gone"].kind is K.ALREADY_ABSENT
    assert result["here"].kind is K.DONE


def test_batch_of_200_links_in_one_call(client):
    mappings = [
        FaMapping(f"ref-{n}", new_id(), new_fa(), name=f"Beneficiary {n}")
        for n in range(200)
    ]
    result = client.link(mappings)
    assert result.counts() == {"done": 200}

    resolved = client.resolve([m.id for m in mappings]).by_id()
    assert len(resolved) == 200
    assert all(resolved[m.id].fa == m.fa for m in mappings)


def test_non_ascii_name_links_and_the_signature_holds(client):
    id_value, fa = new_id(), new_fa()
    result = client.link([FaMapping("r", id_value, fa, name="Zoë Ñandú")])
    assert result["r"].kind is K.DONE
    assert resolve_one(client, id_value).fa == fa


def test_request_signed_with_another_key_is_permanent(spar_stack):
    stranger_pem = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    ).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stranger = _client(spar_stack, RequestSigner(stranger_pem))
    with stranger, pytest.raises(SparPermanentError, match="signature") as caught:
        stranger.link([FaMapping("r", new_id(), new_fa())])
    assert caught.value.reason_code == "rjct.jwt.invalid"
    assert caught.value.http_status == 200


def test_same_id_twice_in_a_raw_batch_is_transient_and_session_recovers(client):
    id_value = new_id()
    envelope = build_envelope(
        "link",
        [FaMapping("a", id_value, new_fa()), FaMapping("b", new_id(), new_fa())],
        sender_id=client.sender_id,
        receiver_id=client.receiver_id,
    )
    # build_envelope refuses the same id twice, so break the batch by hand.
    envelope["message"]["link_request"][1]["id"] = id_value

    with pytest.raises(SparTransientError) as caught:
        client.send(envelope)
    assert caught.value.http_status == 500

    # The server dropped the keep-alive connection; the client recovered.
    outcome = resolve_one(client, id_value)
    assert outcome.kind is K.NOT_LINKED  # the whole batch was rolled back
    assert client.link([FaMapping("c", id_value, new_fa())])["c"].kind is K.DONE


def test_schema_error_is_permanent(client):
    envelope = build_envelope(
        "link",
        [FaMapping("a", new_id(), new_fa())],
        sender_id=client.sender_id,
        receiver_id=client.receiver_id,
    )
    del envelope["header"]["total_count"]
    with pytest.raises(SparPermanentError, match="HTTP 400") as caught:
        client.send(envelope)
    assert "G2P-REQ-102" in str(caught.value)


def test_send_returns_the_raw_answer(client):
    envelope = build_envelope(
        "unlink",
        [FaUnlink("x", new_id())],
        sender_id=client.sender_id,
        receiver_id=client.receiver_id,
    )
    answer = client.send(envelope)
    assert answer["header"]["status"] == "succ"  # even though the item failed
    assert answer["header"]["message_id"] == envelope["header"]["message_id"]
    (item,) = answer["message"]["unlink_response"]
    assert item["status"] == "rjct", json.dumps(item)
