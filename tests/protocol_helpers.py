"""What the SPAR protocol tests share: a sample FA and the mapper's side of a
signed exchange, so each test file checks its module the way the mapper would."""

import base64
import json

import jwt

from g2p_spar_fa_sync.lib.spar_envelope import build_envelope

FA = "phone:+254712345678"
FA_SECRET_PART = "712345"  # digits that must never appear in a message
# What the mapper says when a link finds the ID and FA already mapped.
ALREADY_MAPPED = "ID and FA are already mapped"


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
