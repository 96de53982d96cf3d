"""Unit tests of the SPAR protocol module: no network, no Odoo.

The HTTP exchanges here go to a stub session that answers like the mapper
(shapes taken from openg2p-spar-mapper-api 1.1.0); tests/test_spar_live.py
checks the same behaviour against the real server.
"""

import base64
import json
import pickle
import random
import re
import uuid
from datetime import datetime, timezone

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from g2p_spar_fa_sync.lib.spar_protocol import (
    FaMapping,
    FaResolve,
    FaUnlink,
    OutcomeKind,
    RequestSigner,
    SparClient,
    SparKeyError,
    SparPermanentError,
    SparTransientError,
    batch_items,
    build_envelope,
    classify_outcome,
    encode_body,
    redact,
)

FA = "phone:+254712345678"
FA_SECRET_PART = "712345"  # digits that must never appear in a message


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def private_pem(rsa_key):
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def public_pem(rsa_key):
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def signer(private_pem):
    return RequestSigner(private_pem)


def envelope_for(action, items):
    return build_envelope(action, items, sender_id="openg2p-sr", receiver_id="spar")


def server_side_verify(body, signature, public_pem):
    """What the mapper + key manager do: rebuild the payload, verify RS256."""
    canonical = json.dumps(json.loads(body), separators=(",", ":")).encode("utf-8")
    payload = base64.urlsafe_b64encode(canonical).rstrip(b"=").decode()
    header, middle, sig = signature.split(".")
    assert middle == ""
    decoded = jwt.api_jws.decode_complete(
        f"{header}.{payload}.{sig}", public_pem, algorithms=["RS256"]
    )
    return decoded["payload"]


# --------------------------------------------------------------------------
# signing


def test_signature_verifies_over_exact_sent_bytes_with_non_ascii_name(
    signer, public_pem
):
    item = FaMapping("r1", "token:1@NID", FA, name="Zoë Ñandú", phone_number="+254")
    body = encode_body(envelope_for("link", [item]))

    body.decode("ascii")  # ensure_ascii: the body is pure ASCII
    assert b'"name":"Zo\\u00eb \\u00d1and\\u00fa"' in body
    # The server's canonical form is byte-for-byte what we send ...
    assert json.dumps(json.loads(body), separators=(",", ":")).encode() == body
    # ... so the detached signature verifies over exactly those bytes.
    signature = signer.sign(body)
    assert server_side_verify(body, signature, public_pem) == body
    assert json.loads(body)["message"]["link_request"][0]["name"] == "Zoë Ñandú"


def test_signature_does_not_verify_for_other_bytes_or_key(signer, public_pem):
    body = encode_body(envelope_for("resolve", [FaResolve("r", "token:1@NID")]))
    signature = signer.sign(body)
    tampered = body.replace(b"token:1@NID", b"token:2@NID")
    with pytest.raises(jwt.InvalidSignatureError):
        server_side_verify(tampered, signature, public_pem)
    other = RequestSigner(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(jwt.InvalidSignatureError):
        server_side_verify(body, other.sign(body), public_pem)


def test_signature_header_is_rs256(signer):
    header_b64 = signer.sign(b"{}").split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * 3))
    assert header["alg"] == "RS256"
    assert "b64" not in header  # a normal (base64url) payload, RFC 7797 not used


def test_signer_accepts_str_pem_and_file(private_pem, tmp_path):
    assert RequestSigner(private_pem.decode()).key_size == 2048
    path = tmp_path / "key.pem"
    path.write_bytes(private_pem)
    assert RequestSigner.from_file(path).sign(b"x").count(".") == 2


def test_signer_never_reveals_the_key(signer, private_pem):
    assert repr(signer) == "<RequestSigner RS256 RSA-2048>"
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    assert b"PRIVATE" not in signer.public_key_pem()


def _pem_body_lines(pem):
    return [line for line in pem.decode().splitlines() if line and "-----" not in line]


def _bad_keys(private_pem, public_pem):
    lines = private_pem.decode().splitlines()
    corrupted = "\n".join(lines[:3] + [lines[3][::-1]] + lines[4:]).encode()
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "garbage": b"not a key at all MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "public key": public_pem,
        "corrupted": corrupted,
        "ec key": ec_pem,
        "empty": b"",
    }


@pytest.mark.parametrize(
    "kind", ["garbage", "public key", "corrupted", "ec key", "empty"]
)
def test_bad_key_error_has_no_key_material(kind, private_pem, public_pem):
    bad = _bad_keys(private_pem, public_pem)[kind]
    with pytest.raises(SparKeyError) as caught:
        RequestSigner(bad)
    text = f"{caught.value} {caught.value!r}"
    for line in _pem_body_lines(private_pem) + _pem_body_lines(public_pem):
        assert line[:16] not in text
    assert "MII" not in text
    # The parser's exception (if any) is not chained into the traceback.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_encrypted_key_without_password_and_missing_file(rsa_key, tmp_path):
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(SparKeyError, match="encrypted"):
        RequestSigner(encrypted)
    assert RequestSigner(encrypted, password="pw").key_size == 2048
    with pytest.raises(SparKeyError, match="cannot read"):
        RequestSigner.from_file(tmp_path / "missing.pem")


# --------------------------------------------------------------------------
# envelopes


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


# --------------------------------------------------------------------------
# classification

K = OutcomeKind
ALREADY_MAPPED = "ID and FA are already mapped"
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


# --------------------------------------------------------------------------
# batching


def test_batches_never_repeat_an_id_and_keep_per_id_order():
    rng = random.Random(20240601)
    for _round in range(200):
        size = rng.randint(1, 7)
        items = [
            (f"id{rng.randint(0, 9)}", sequence)
            for sequence in range(rng.randint(0, 60))
        ]
        batches = batch_items(items, size, key=lambda item: item[0])

        assert sorted(i for b in batches for i in b) == sorted(items)
        assert all(0 < len(b) <= size for b in batches)
        position = {}
        for number, batch in enumerate(batches):
            ids = [item[0] for item in batch]
            assert len(ids) == len(set(ids))
            for id_value, sequence in batch:
                position[sequence] = (number, id_value)
        for id_value in {item[0] for item in items}:
            batch_numbers = [
                position[seq][0] for i, seq in items if i == id_value
            ]  # in original order
            assert batch_numbers == sorted(batch_numbers)
            assert len(batch_numbers) == len(set(batch_numbers))


def test_batches_fill_up_and_keep_order_within_a_batch():
    items = [FaUnlink(str(n), f"id{n}") for n in range(5)]
    assert batch_items(items, 2) == [items[0:2], items[2:4], items[4:5]]
    repeated = [FaUnlink("1", "x"), FaUnlink("2", "x"), FaUnlink("3", "y")]
    assert batch_items(repeated, 10) == [[repeated[0], repeated[2]], [repeated[1]]]
    assert batch_items([], 3) == []
    with pytest.raises(ValueError):
        batch_items(items, 0)


# --------------------------------------------------------------------------
# redaction


@pytest.mark.parametrize(
    ("fa", "expected"),
    [
        ("phone:+254712345678", "phone:*****678"),
        ("account:12345678@b1.bank.bank_acc", "account:*****78@b1.bank.bank_acc"),
        ("iban:DE89370400440532013000@COBADEFFXXX", "iban:*****000@COBADEFFXXX"),
        ("email:jo@example.org", "email:*****@example.org"),
        ("1234", "*****4"),
        ("abc", "*****"),
        ("", "<none>"),
        (None, "<none>"),
    ],
)
def test_redact(fa, expected):
    assert redact(fa) == expected


def test_redact_never_reveals_more_than_a_quarter():
    for length in range(1, 40):
        value = "9" * length
        shown = redact(f"phone:{value}").count("9")
        assert shown <= min(3, length // 4)


# --------------------------------------------------------------------------
# client, over a stub session


def _response(status_code, payload):
    response = requests.Response()
    response.status_code = status_code
    response._content = (
        payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    )
    response.headers["Content-Type"] = "application/json"
    return response


class StubSession:
    """Records posts and answers with ``answer(action, request_json)``."""

    def __init__(self, answer):
        self.answer = answer
        self.posts = []
        self.closed = 0

    def post(self, url, data, headers, timeout):
        self.posts.append((url, data, headers, timeout))
        result = self.answer(url.rsplit("/", 1)[1], json.loads(data))
        if isinstance(result, Exception):
            raise result
        return result

    def close(self):
        self.closed += 1


def mapper_answer(item_answer, reverse=True, header_status="succ", reason=None):
    """A mapper-shaped 200 answer; ``item_answer(action, item) -> dict | None``."""

    def answer(action, request):
        items = request["message"][f"{action}_request"]
        if header_status == "rjct":
            items = []
        answers = [
            dict(reference_id=item["reference_id"], **result)
            for item in items
            if (result := item_answer(action, item)) is not None
        ]
        if reverse:
            answers.reverse()
        return _response(
            200,
            {
                "header": {
                    "version": "1.0.0",
                    "message_id": request["header"]["message_id"],
                    "action": action,
                    "status": header_status,
                    "status_reason_code": reason,
                    "status_reason_message": reason,
                },
                "message": (
                    {}
                    if header_status == "rjct"
                    else {
                        "transaction_id": request["message"]["transaction_id"],
                        f"{action}_response": answers,
                    }
                ),
            },
        )

    return answer


def make_client(signer, answer, **kwargs):
    session = StubSession(answer)
    client = SparClient(
        "http://spar.test/",
        signer,
        "openg2p-sr",
        "spar",
        timeout=(1, 2),
        session=session,
        **kwargs,
    )
    return client, session


def test_client_matches_outcomes_by_reference_id_and_signs_the_body(signer, public_pem):
    def item_answer(action, item):
        if item["id"].endswith("known"):
            return {
                "status": "rjct",
                "status_reason_code": "rjct.reference_id.duplicate",
                "status_reason_message": ALREADY_MAPPED,
            }
        if item["id"].endswith("lost"):
            return None
        return {"status": "succ", "fa": item["fa"]}

    client, session = make_client(signer, mapper_answer(item_answer, reverse=True))
    items = [
        FaMapping("r1", "token:new", FA),
        FaMapping("r2", "token:known", FA),
        FaMapping("r3", "token:lost", FA),
    ]
    result = client.link(items)

    url, body, headers, timeout = session.posts[0]
    assert url == "http://spar.test/sync/link"
    assert timeout == (1, 2)
    assert headers["Content-Type"] == "application/json"
    assert server_side_verify(body, headers["Signature"], public_pem) == body
    sent = json.loads(body)
    assert result.message_id == sent["header"]["message_id"]
    assert result.transaction_id == sent["message"]["transaction_id"]

    assert list(result) == ["r1", "r2", "r3"]
    assert result["r1"].kind is K.DONE
    assert result["r1"].fa is None  # link outcomes carry no FA
    assert result["r2"].kind is K.ALREADY_LINKED
    assert result["r2"].id == "token:known"
    assert result["r3"].kind is K.RETRY
    assert result["r3"].status is None
    assert result.counts() == {"done": 1, "already_linked": 1, "retry": 1}
    assert [o.reference_id for o in result.of_kind(K.RETRY)] == ["r3"]
    assert FA_SECRET_PART not in repr(result["r1"]) + repr(result)


def test_client_resolve_tells_linked_from_not_linked(signer):
    def item_answer(action, item):
        if item["id"] == "token:1":
            return {"status": "succ", "fa": FA, "id": item["id"]}
        return {
            "status": "succ",
            "fa": "",
            "status_reason_code": "succ.fa.not_linked_to_id",
            "status_reason_message": "ID doesn't exist, please link first",
        }

    client, session = make_client(signer, mapper_answer(item_answer))
    result = client.resolve(["token:1", "token:2", "token:1"])
    sent = json.loads(session.posts[0][1])
    assert [r["id"] for r in sent["message"]["resolve_request"]] == [
        "token:1",
        "token:2",
    ]
    by_id = result.by_id()
    assert by_id["token:1"].linked
    assert by_id["token:1"].fa == FA
    assert by_id["token:2"].kind is K.NOT_LINKED
    assert not by_id["token:2"].linked
    assert by_id["token:2"].fa is None


def test_client_unlink_accepts_plain_ids(signer):
    client, session = make_client(
        signer, mapper_answer(lambda action, item: {"status": "succ"})
    )
    with pytest.raises(TypeError, match="not a single string"):
        client.unlink("token:1")
    with pytest.raises(TypeError, match="not a single string"):
        client.resolve("token:1")
    result = client.unlink(["token:1", FaUnlink("ref", "token:2")])
    assert set(result) == {"token:1", "ref"}
    sent = json.loads(session.posts[0][1])["message"]["unlink_request"]
    assert all("fa" not in item for item in sent)


def test_signature_rejection_is_permanent_and_says_so(signer):
    client, _session = make_client(
        signer,
        mapper_answer(None, header_status="rjct", reason="rjct.jwt.invalid"),
    )
    with pytest.raises(SparPermanentError, match="signature") as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert caught.value.reason_code == "rjct.jwt.invalid"
    assert caught.value.http_status == 200
    assert caught.value.message_id


def test_header_rejection_with_retry_code_is_transient(signer):
    client, _ = make_client(
        signer, mapper_answer(None, header_status="rjct", reason="rjct.unknown.retry")
    )
    with pytest.raises(SparTransientError):
        client.unlink(["token:1"])


def test_http_500_is_transient_and_resets_the_session(signer):
    debug_body = {
        "errors": [
            {
                "code": "G2P-REQ-100",
                "message": f"Unknown Error. duplicate key [parameters: ('{FA}',)]",
            }
        ]
    }
    client, session = make_client(signer, lambda action, request: None)
    session.answer = lambda action, request: _response(500, debug_body)
    with pytest.raises(SparTransientError) as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert caught.value.http_status == 500
    assert "G2P-REQ-100" in str(caught.value)
    assert FA_SECRET_PART not in str(caught.value)
    assert session.closed == 1
    assert client._session is session  # a caller's session is kept, pools emptied


def test_connection_errors_are_transient_and_replace_an_own_session(
    signer, monkeypatch
):
    client = SparClient("http://spar.test", signer, "openg2p-sr", "spar")
    first = client._session
    failing = StubSession(
        lambda action, request: requests.ConnectionError("Connection aborted")
    )
    client._session = failing
    with pytest.raises(SparTransientError, match="in transit"):
        client.resolve(["token:1"])
    assert failing.closed == 1
    assert client._session is not failing
    assert client._session is not first
    assert isinstance(client._session, requests.Session)

    client._session = StubSession(lambda action, request: requests.ReadTimeout())
    with pytest.raises(SparTransientError, match="ReadTimeout"):
        client.resolve(["token:1"])


def test_schema_error_is_permanent(signer):
    body = {"errors": [{"code": "G2P-REQ-102", "message": "Invalid Input. Field"}]}
    client, session = make_client(signer, lambda a, r: _response(400, body))
    with pytest.raises(SparPermanentError, match="HTTP 400 \\(G2P-REQ-102\\)"):
        client.update([FaMapping("r", "token:1", FA)])
    assert session.closed == 0


@pytest.mark.parametrize(
    "payload",
    [b"<html>proxy error</html>", {"header": "x"}, {"header": {"status": "succ"}}],
)
def test_malformed_answers_are_permanent(signer, payload):
    client, _ = make_client(signer, lambda a, r: _response(200, payload))
    with pytest.raises(SparPermanentError):
        client.link([FaMapping("r", "token:1", FA)])


def test_answer_for_another_message_is_permanent(signer):
    def answer(action, request):
        request["header"]["message_id"] = "someone-else"
        return mapper_answer(lambda a, i: {"status": "succ"})(action, request)

    client, _ = make_client(signer, answer)
    with pytest.raises(SparPermanentError, match="another message_id"):
        client.link([FaMapping("r", "token:1", FA)])


def test_client_refuses_same_id_twice_before_sending(signer):
    client, session = make_client(signer, lambda a, r: None)
    with pytest.raises(ValueError, match="same id"):
        client.link([FaMapping("a", "token:1", FA), FaMapping("b", "token:1", FA)])
    assert session.posts == []


def test_error_messages_never_show_an_fa(signer):
    client, _ = make_client(
        signer, mapper_answer(None, header_status="rjct", reason="rjct.jwt.invalid")
    )
    with pytest.raises(SparPermanentError) as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert not re.search(FA_SECRET_PART, f"{caught.value} {caught.value!r}")
