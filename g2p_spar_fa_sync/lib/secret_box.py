"""Secrets at rest (the SPAR partner private key, ODK Central passwords).

A database dump, a backup or a read replica must not hand out the key that
signs payment instructions nor the password that reads registrations. So
they are stored sealed (Fernet: AES-128-CBC with an HMAC-SHA256, so a
tampered or foreign value is refused rather than decrypted into garbage)
under a key that lives in the server configuration, never in the database:
whoever holds only the database holds only ciphertext.

The configured value is one or more Fernet keys separated by commas. The
first seals; every one of them opens. This lets an administrator rotate the
key: put the new one first, save the secrets again, then drop the old one.

Error messages name what is wrong, never a secret nor the key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "SealedSecretError",
    "SecretBox",
    "SecretKeyError",
    "generate_key",
    "is_sealed",
]

# Marks a sealed value, so that a value stored in clear by an earlier version
# is told apart from ciphertext, and a future scheme can be told apart too.
PREFIX = "fernet:"


class SecretKeyError(ValueError):
    """The configured sealing key is missing or malformed."""


class SealedSecretError(ValueError):
    """A stored value cannot be opened with the configured key(s)."""


def generate_key():
    """A new random sealing key, in the form the configuration expects."""
    return Fernet.generate_key().decode("ascii")


def is_sealed(value):
    """Whether ``value`` (as stored) is a sealed secret rather than clear text."""
    return isinstance(value, str) and value.startswith(PREFIX)


class SecretBox:
    """Seals and opens secrets with the configured key(s).

    It never reveals its keys: ``repr`` says how many there are, and it
    refuses to be pickled so that a key cannot slip into a queued job's
    stored arguments.
    """

    def __init__(self, keys_text):
        keys = [key.strip() for key in (keys_text or "").split(",") if key.strip()]
        if not keys:
            raise SecretKeyError("no key is configured")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise SecretKeyError(
                "the key is not valid: each key must be 32 bytes in url-safe "
                "base64 (44 characters), as made by Fernet.generate_key()"
            ) from None
        self._count = len(keys)

    def seal(self, secret):
        """The stored form of ``secret`` (str or bytes); refuses an empty one,
        which would otherwise be stored as if it were a secret."""
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if not isinstance(secret, bytes | bytearray) or not secret:
            raise ValueError("there is no secret to seal")
        return PREFIX + self._fernet.encrypt(bytes(secret)).decode("ascii")

    def open(self, sealed):
        """The secret (bytes) that ``sealed`` holds."""
        if not is_sealed(sealed):
            raise SealedSecretError("the stored value is not sealed")
        try:
            return self._fernet.decrypt(sealed[len(PREFIX) :].encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            raise SealedSecretError(
                "the stored value was sealed with another key, or altered"
            ) from None

    def __repr__(self):
        return f"<SecretBox keys={self._count}>"

    def __reduce__(self):
        raise TypeError("SecretBox holds keys and cannot be pickled")
