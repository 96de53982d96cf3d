"""Request signing for SPAR: a detached RS256 JWS over the exact body bytes.

The SPAR mapper cannot switch signature checks off. For every request it reads
the ``Signature`` header (``<b64url header>..<b64url signature>``, the middle
part left empty), puts the base64url of the body it received back in the
middle, and asks a key manager to check the result against the partner's
public key. So the signature must cover exactly the bytes that go on the wire;
:func:`.spar_envelope.encode_body` produces those bytes.

The private key is parsed once, when the signer is built: parsing a PEM costs
far more than signing, and a sync signs one request per batch.
"""

from __future__ import annotations

from pathlib import Path

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["RequestSigner", "SparKeyError"]


class SparKeyError(ValueError):
    """The configured SPAR signing key cannot be used.

    Messages say what is wrong with the key, never what is in it: they end up
    in logs and in the Odoo UI.
    """


def _load_rsa_private_key(pem, password):
    """Parse ``pem`` into an RSA private key object, or raise :class:`SparKeyError`.

    The parser's own exception is dropped (``from None``) so that a traceback
    shows our message only; the key bytes are never quoted.
    """
    if isinstance(pem, str):
        pem = pem.encode("utf-8")
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(pem, bytes | bytearray) or not pem.strip():
        raise SparKeyError("the SPAR signing key is empty")
    try:
        key = serialization.load_pem_private_key(bytes(pem), password=password)
    except TypeError:
        # cryptography says TypeError for a missing or a superfluous password.
        if password is None:
            raise SparKeyError(
                "the SPAR signing key is encrypted and no password was given"
            ) from None
        raise SparKeyError(
            "a password was given but the SPAR signing key is not encrypted"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SparKeyError(
            "the SPAR signing key is not a valid PEM private key (or the password "
            "is wrong); an RSA private key in PKCS#8 or PKCS#1 PEM is needed"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SparKeyError(
            "the SPAR signing key is not an RSA key; SPAR verifies RS256 signatures"
        )
    return key


class RequestSigner:
    """Signs SPAR request bodies with the partner's RSA private key.

    Build it once per configuration (the PEM is parsed here) and reuse it for
    every request. It never reveals the key: ``repr`` shows the algorithm and
    key size only, and it refuses to be pickled so that a key cannot slip into
    a queued job's stored arguments.
    """

    algorithm = "RS256"

    def __init__(self, private_key_pem, password=None):
        """``private_key_pem``: PEM bytes (or str) of an RSA private key."""
        self._key = _load_rsa_private_key(private_key_pem, password)

    @classmethod
    def from_file(cls, path, password=None):
        """Read the PEM from ``path``; an unreadable file is a SparKeyError."""
        try:
            pem = Path(path).read_bytes()
        except OSError as error:
            raise SparKeyError(
                f"cannot read the SPAR signing key file {str(path)!r}: "
                f"{error.strerror or type(error).__name__}"
            ) from None
        return cls(pem, password=password)

    @property
    def key_size(self):
        """Modulus size in bits (for diagnostics)."""
        return self._key.key_size

    def public_key_pem(self):
        """PEM (SubjectPublicKeyInfo) of the public half, to register with SPAR."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, body):
        """Detached JWS of ``body``: ``<b64 header>..<b64 signature>``.

        ``body`` must be the exact bytes sent as the HTTP body. The JWS is
        computed over the full compact serialisation (header.payload) and the
        payload part is then dropped, which is what the mapper reconstructs.
        """
        if not isinstance(body, bytes | bytearray):
            raise TypeError("RequestSigner.sign() needs the request body as bytes")
        token = jwt.api_jws.encode(bytes(body), self._key, algorithm=self.algorithm)
        header, _payload, signature = token.split(".")
        return f"{header}..{signature}"

    def __repr__(self):
        return f"<RequestSigner {self.algorithm} RSA-{self.key_size}>"

    def __reduce__(self):
        raise TypeError("RequestSigner holds a private key and cannot be pickled")
