"""Shared fixtures of the pytest suite.

The suite runs in the Odoo virtualenv against the throw-away stack that
``make test`` starts; the stack's addresses arrive as ``G2P_*`` variables.
"""

import os

import pytest


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
