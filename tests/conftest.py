"""Shared fixtures of the pytest suite.

The suite runs in the Odoo virtualenv against the throw-away stack that
``make test`` starts; the stack's addresses arrive as ``G2P_*`` variables.
"""

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from g2p_spar_fa_sync.lib.signing import RequestSigner


def pytest_configure(config):
    # python-stdnum 1.17 (Odoo's pin) still imports pkg_resources, which
    # warns on import since the venv's setuptools had to be upgraded.
    config.addinivalue_line(
        "filterwarnings", "ignore:pkg_resources is deprecated:UserWarning"
    )


@pytest.fixture(scope="session")
def spar_stack():
    """Addresses and key of the running SPAR mapper; skip outside ``make test``."""
    url = os.environ.get("G2P_SPAR_URL")
    if not url:
        pytest.skip("no SPAR mapper: run through `make test` (G2P_SPAR_URL unset)")
    return {
        "url": url,
        "sender_id": os.environ["G2P_SPAR_SENDER_ID"],
        "receiver_id": os.environ["G2P_SPAR_RECEIVER_ID"],
        "private_key_file": os.environ["G2P_SPAR_PRIVATE_KEY_FILE"],
        "verifier_url": os.environ["G2P_SPAR_VERIFIER_URL"],
    }


@pytest.fixture(scope="session")
def rsa_key():
    """A throw-away signing key, for the tests that sign without the mapper."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def private_pem(rsa_key):
    return rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="session")
def public_pem(rsa_key):
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="session")
def signer(private_pem):
    return RequestSigner(private_pem)
