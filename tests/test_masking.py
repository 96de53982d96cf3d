"""One masking scheme for every FA string and value, whatever the preset."""

import pytest

from g2p_spar_fa_base.lib.fa_format import FaSettings, format_fa
from g2p_spar_fa_base.lib.fa_presets import PRESET_OPENG2P, PRESET_SHORT
from g2p_spar_fa_base.lib.masking import mask, mask_value
from g2p_spar_fa_sync.lib.redaction import redact


@pytest.mark.parametrize(
    ("fa", "expected"),
    [
        # G2P Connect short strings: scheme and provider kept.
        ("phone:+254712345678", "phone:*****678"),
        ("account_no:1234567@DEUTDEFF", "account_no:*****7@DEUTDEFF"),
        ("account:12345678@b1.bank.bank_acc", "account:*****78@b1.bank.bank_acc"),
        ("iban:DE89370400440532013000@COBADEFFXXX", "iban:*****000@COBADEFFXXX"),
        ("email:jo@example.org", "email:*****@example.org"),
        # OpenG2P strategies: personal values masked, codes and type kept.
        (
            "account_number:DE89370400440532013000.branch_code:.bank_code:37040044"
            ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT",
            "account_number:*****000.branch_code:.bank_code:37040044"
            ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT",
        ),
        (
            "mobile_number:+254712345678.wallet_provider_name:M-Pesa"
            ".wallet_provider_code:MPESA.fa_type:MOBILE_WALLET",
            "mobile_number:*****678.wallet_provider_name:M-Pesa"
            ".wallet_provider_code:MPESA.fa_type:MOBILE_WALLET",
        ),
        (
            "email_address:jane.doe@example.org.wallet_provider_name:PayPal"
            ".wallet_provider_code:PP.fa_type:EMAIL_WALLET",
            "email_address:*****oe@example.org.wallet_provider_name:PayPal"
            ".wallet_provider_code:PP.fa_type:EMAIL_WALLET",
        ),
        # Bare values.
        ("1234", "*****4"),
        ("abc", "*****"),
        ("", "<none>"),
        (None, "<none>"),
    ],
)
def test_mask(fa, expected):
    assert mask(fa) == expected


def test_sync_redaction_is_the_same_function():
    assert redact is mask


@pytest.mark.parametrize("template", ["phone:{}", "mobile_number:{}.fa_type:X", "{}"])
def test_mask_never_reveals_more_than_a_quarter(template):
    for length in range(1, 40):
        value = "9" * length
        shown = mask(template.format(value)).count("9")
        assert shown <= min(3, length // 4)


def test_quoted_values_are_masked_whole_whatever_they_look_like():
    assert mask_value("SECRET:X") == "*****:X"
    assert mask_value("a@secret-domain.example") == "*****ple"


@pytest.mark.parametrize("preset", [PRESET_OPENG2P, PRESET_SHORT])
def test_masked_strings_of_every_preset_hide_every_personal_value(preset):
    settings = FaSettings(fa_preset=preset)
    cases = [
        ("bank", {"account": "123456789", "bic": "DEUTDEFF", "bank_code": "500"}),
        (
            "bank",
            {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "bank_code": "3"},
        ),
        ("mobile", {"msisdn": "+254712345678", "provider": "MP", "provider_name": "M"}),
        (
            "email",
            {"email": "jane.doe@example.org", "provider": "P", "provider_name": "P"},
        ),
    ]
    for kind, values in cases:
        masked = mask(format_fa(settings, kind, values))
        for name in ("account", "iban", "msisdn"):
            if name in values:
                assert values[name][:-3] not in masked
        if "email" in values:
            assert "jane" not in masked
            assert "@example.org" in masked
