"""OpenG2P's payee ID formula and the encrypted-name rule, without Odoo."""

from g2p_spar_fa_openg2p.lib.openg2p_rules import (
    NAME_DECRYPTED,
    NAME_NONE,
    g2p_connect_payee_fa,
    name_for_spar,
)


def test_payee_fa_is_prefix_value_suffix():
    assert g2p_connect_payee_fa("token:", "NID-1", "@nid") == "token:NID-1@nid"
    assert g2p_connect_payee_fa(None, "NID-1", None) == "NID-1"


def test_placeholder_is_never_sent():
    def decrypt():
        return "Real Name"

    assert name_for_spar("encrypted", "encrypted", NAME_NONE, decrypt) is False
    assert name_for_spar("encrypted", "encrypted", NAME_DECRYPTED, decrypt) == (
        "Real Name"
    )
    assert (
        name_for_spar("encrypted", "encrypted", NAME_DECRYPTED, lambda: None) is False
    )


def test_plain_names_pass_untouched_and_decrypt_is_not_called():
    def must_not_run():
        raise AssertionError("decrypted a plain name")

    assert name_for_spar("Asha", "encrypted", NAME_DECRYPTED, must_not_run) == "Asha"
    assert name_for_spar("Asha", False, NAME_NONE, must_not_run) == "Asha"
