"""Request signing: the mapper verifies exactly the bytes we send; keys never leak."""

import base64
import json
import pickle

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from protocol_helpers import FA, envelope_for, server_side_verify

from g2p_spar_fa_sync.lib.signing import RequestSigner, SparKeyError
from g2p_spar_fa_sync.lib.spar_envelope import (
    FaMapping,
    FaResolve,
    encode_body,
)


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
