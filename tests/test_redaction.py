"""FA masking: the scheme and provider stay readable, the personal part does not."""

import pytest

from g2p_spar_fa_sync.lib.redaction import redact


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
