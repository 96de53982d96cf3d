"""Unit tests of the secret sealing module: no Odoo, no database."""

import pickle

import pytest

from g2p_spar_fa_sync.lib.secret_box import (
    SealedSecretError,
    SecretBox,
    SecretKeyError,
    generate_key,
    is_sealed,
)

SECRET = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"


def test_sealed_value_holds_no_clear_text_and_opens_back():
    box = SecretBox(generate_key())
    sealed = box.seal(SECRET)
    assert is_sealed(sealed)
    assert "PRIVATE KEY" not in sealed
    assert "MIIEvQIBADANBg" not in sealed
    assert box.open(sealed) == SECRET.encode()


def test_same_secret_seals_differently_each_time():
    box = SecretBox(generate_key())
    assert box.seal("pw") != box.seal("pw")


def test_other_key_cannot_open():
    sealed = SecretBox(generate_key()).seal("pw")
    with pytest.raises(SealedSecretError, match="another key"):
        SecretBox(generate_key()).open(sealed)


def test_altered_value_is_refused():
    box = SecretBox(generate_key())
    sealed = box.seal("pw")
    with pytest.raises(SealedSecretError, match="altered"):
        box.open(sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB"))


def test_clear_text_is_not_taken_for_a_sealed_value():
    assert not is_sealed(SECRET)
    with pytest.raises(SealedSecretError, match="not sealed"):
        SecretBox(generate_key()).open(SECRET)


def test_rotation_first_key_seals_every_key_opens():
    old, new = generate_key(), generate_key()
    sealed_before = SecretBox(old).seal("pw")
    rotated = SecretBox(f"{new}, {old}")
    assert rotated.open(sealed_before) == b"pw"
    assert SecretBox(new).open(rotated.seal("pw")) == b"pw"


@pytest.mark.parametrize("configured", [None, "", " , "])
def test_missing_key_is_refused(configured):
    with pytest.raises(SecretKeyError, match="no key is configured"):
        SecretBox(configured)


def test_malformed_key_is_refused_without_quoting_it():
    with pytest.raises(SecretKeyError, match="not valid") as error:
        SecretBox("my-passphrase")
    assert "my-passphrase" not in str(error.value)


@pytest.mark.parametrize("empty", ["", b"", None])
def test_nothing_to_seal_is_refused(empty):
    with pytest.raises(ValueError, match="no secret"):
        SecretBox(generate_key()).seal(empty)


def test_box_never_shows_its_key():
    key = generate_key()
    box = SecretBox(key)
    assert key not in repr(box)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(box)
