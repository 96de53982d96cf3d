"""Every FA we build, G2P Bridge reads back exactly as it was entered.

The three patterns are G2P Bridge's (and OpenG2P's SPAR strategies')
deconstruct regexes, copied verbatim from the published packages: they are
facts of the payment side, not of this suite. hypothesis is not in the
virtualenv, so a table of edge cases stands in for generated values.
"""

import re

import pytest

from g2p_spar_fa_base.lib import fa_format
from g2p_spar_fa_base.lib.fa_format import FaSettings, FaValidationError
from g2p_spar_fa_base.lib.fa_presets import (
    PRESET_CUSTOM,
    PRESET_OPENG2P,
    PRESET_SHORT,
    PRESETS,
    preset_for_upgrade,
)

G2P_BRIDGE_PATTERNS = {
    "BANK_ACCOUNT": r"^account_number:(?P<account_number>.*)\.branch_code:(?P<branch_code>.*)\.bank_code:(?P<bank_code>.*)\.mobile_number:(?P<mobile_number>.*)\.email_address:(?P<email_address>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
    "MOBILE_WALLET": r"^mobile_number:(?P<mobile_number>.*)\.wallet_provider_name:(?P<wallet_provider_name>.*)\.wallet_provider_code:(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
    "EMAIL_WALLET": r"^email_address:(?P<email_address>.*)\.wallet_provider_name:(?P<wallet_provider_name>.*)\.wallet_provider_code:(?P<wallet_provider_code>.*)\.fa_type:(?P<fa_type>.*)$",  # noqa: E501
}
OPENG2P = FaSettings(fa_preset=PRESET_OPENG2P)


def deconstruct(fa):
    """What G2P Bridge's resolve helper extracts: the pattern is picked by
    the string's ending; anything else gives nothing."""
    for fa_type, pattern in G2P_BRIDGE_PATTERNS.items():
        if fa.endswith(fa_type):
            match = re.match(pattern, fa)
            return match.groupdict() if match else {}
    return {}


def build(kind, values, settings=OPENG2P):
    return fa_format.format_fa(settings, kind, fa_format.validate_fa(kind, values))


def test_new_databases_default_to_openg2p_strategies():
    assert FaSettings().fa_preset == PRESET_OPENG2P
    assert FaSettings.from_params({}.get).fa_preset == PRESET_OPENG2P


def test_openg2p_strings_are_exactly_the_published_layout():
    assert build(
        "bank", {"account": "1234567", "bank_code": "50070010", "branch_code": "001"}
    ) == (
        "account_number:1234567.branch_code:001.bank_code:50070010"
        ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT"
    )
    assert build(
        "mobile",
        {"msisdn": "+254712345678", "provider": "MPESA", "provider_name": "M-Pesa"},
    ) == (
        "mobile_number:+254712345678.wallet_provider_name:M-Pesa"
        ".wallet_provider_code:MPESA.fa_type:MOBILE_WALLET"
    )
    assert build(
        "email",
        {"email": "jane@example.org", "provider": "PAYPAL", "provider_name": "PayPal"},
    ) == (
        "email_address:jane@example.org.wallet_provider_name:PayPal"
        ".wallet_provider_code:PAYPAL.fa_type:EMAIL_WALLET"
    )


def test_short_preset_keeps_the_g2p_connect_strings():
    short = FaSettings(fa_preset=PRESET_SHORT)
    assert build("bank", {"account": "1234567", "bic": "DEUTDEFF"}, short) == (
        "account_no:1234567@DEUTDEFF"
    )
    assert build(
        "bank", {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}, short
    ) == ("iban:DE89370400440532013000@COBADEFFXXX")
    assert build("mobile", {"msisdn": "+254712345678"}, short) == "phone:+254712345678"
    assert (
        build("email", {"email": "jane@example.org"}, short) == "email:jane@example.org"
    )


def test_custom_templates_apply_only_with_the_custom_preset():
    values = {"msisdn": "+254712345678", "provider": "MPESA"}
    custom = FaSettings(
        fa_preset=PRESET_CUSTOM, fa_format_mobile="tel:{msisdn}#{provider}"
    )
    assert build("mobile", values, custom) == "tel:+254712345678#MPESA"
    preset = FaSettings(
        fa_format_mobile="tel:{msisdn}#{provider}", fa_preset=PRESET_SHORT
    )
    assert build("mobile", values, preset) == "phone:+254712345678"


# (kind, values entered, what G2P Bridge must read back)
ROUND_TRIPS = [
    (
        "bank",
        {"account": "0001234567", "bank_code": "KCB", "branch_code": "01-NBI"},
        {"account_number": "0001234567", "bank_code": "KCB", "branch_code": "01-NBI"},
    ),
    (
        "bank",
        {"account": "1-2-3", "bank_code": "a.b_c-d", "branch_code": "x.y"},
        {"account_number": "1-2-3", "bank_code": "a.b_c-d", "branch_code": "x.y"},
    ),
    (
        "bank",  # no branch: an empty branch code, read back empty
        {"account": "9", "bank_code": "50070010"},
        {"account_number": "9", "bank_code": "50070010", "branch_code": ""},
    ),
    (
        "bank",  # codes that look like the layout's words, without the ':'
        {"account": "123", "bank_code": "bank_code", "branch_code": ".fa_type."},
        {"account_number": "123", "bank_code": "bank_code", "branch_code": ".fa_type."},
    ),
    (
        "bank",  # DE: the IBAN's bank code, no branch
        {"iban": "DE89 3704 0044 0532 0130 00"},
        {
            "account_number": "DE89370400440532013000",
            "bank_code": "37040044",
            "branch_code": "",
        },
    ),
    (
        "bank",  # FR: bank code and "code guichet"
        {"iban": "FR1420041010050500013M02606"},
        {
            "account_number": "FR1420041010050500013M02606",
            "bank_code": "20041",
            "branch_code": "01005",
        },
    ),
    (
        "bank",  # GB: bank identifier and sort code
        {"iban": "GB29NWBK60161331926819"},
        {
            "account_number": "GB29NWBK60161331926819",
            "bank_code": "NWBK",
            "branch_code": "601613",
        },
    ),
    (
        "bank",  # NL: no branch; a typed bank code equal to the IBAN's is fine
        {"iban": "NL91ABNA0417164300", "bank_code": "ABNA"},
        {
            "account_number": "NL91ABNA0417164300",
            "bank_code": "ABNA",
            "branch_code": "",
        },
    ),
    (
        "mobile",
        {"msisdn": "+254 712 345 678", "provider": "MPESA", "provider_name": "M-Pesa"},
        {
            "mobile_number": "+254712345678",
            "wallet_provider_name": "M-Pesa",
            "wallet_provider_code": "MPESA",
        },
    ),
    (
        "mobile",  # a name with dots, colons and spaces, but no ".key:"
        {
            "msisdn": "+4915123456789",
            "provider": "a.b",
            "provider_name": "Pay. Co: mobile.money wallet_provider_name",
        },
        {
            "mobile_number": "+4915123456789",
            "wallet_provider_name": "Pay. Co: mobile.money wallet_provider_name",
            "wallet_provider_code": "a.b",
        },
    ),
    (
        "mobile",  # non-ASCII name
        {
            "msisdn": "+221771234567",
            "provider": "OM",
            "provider_name": "Orange Money Sénégal",
        },
        {
            "mobile_number": "+221771234567",
            "wallet_provider_name": "Orange Money Sénégal",
            "wallet_provider_code": "OM",
        },
    ),
    (
        "email",
        {
            "email": "jane.doe+pay@mail.example.org",
            "provider": "PP",
            "provider_name": "PayPal",
        },
        {
            "email_address": "jane.doe+pay@mail.example.org",
            "wallet_provider_name": "PayPal",
            "wallet_provider_code": "PP",
        },
    ),
    (
        "email",  # an address whose parts spell keys, without the ':'
        {
            "email": "fa_type.email_address@mail.example",
            "provider": "X",
            "provider_name": "fa_type",
        },
        {
            "email_address": "fa_type.email_address@mail.example",
            "wallet_provider_name": "fa_type",
            "wallet_provider_code": "X",
        },
    ),
]
FA_TYPES = {"bank": "BANK_ACCOUNT", "mobile": "MOBILE_WALLET", "email": "EMAIL_WALLET"}


@pytest.mark.parametrize(("kind", "entered", "expected"), ROUND_TRIPS)
def test_g2p_bridge_reads_back_exactly_what_was_entered(kind, entered, expected):
    parts = deconstruct(build(kind, entered))
    assert parts.pop("fa_type") == FA_TYPES[kind]
    if kind == "bank":
        assert (parts.pop("mobile_number"), parts.pop("email_address")) == ("", "")
    assert parts == expected


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        (
            "bank",
            {"account": "1", "bank_code": "B", "branch_code": "x.bank_code:y"},
            "branch_code",
        ),
        ("bank", {"account": "1", "bank_code": "x.fa_type:BANK_ACCOUNT"}, "bank_code"),
        ("bank", {"account": "1.branch_code:2", "bank_code": "B"}, "account"),
        ("bank", {"account": "1\n", "bank_code": "B\nC"}, "bank_code"),
        (
            "mobile",
            {
                "msisdn": "+254712345678",
                "provider": "M",
                "provider_name": "M.wallet_provider_code:X",
            },
            "provider_name",
        ),
        (
            "mobile",
            {
                "msisdn": "+254712345678",
                "provider": "M",
                "provider_name": "M.fa_type:BANK_ACCOUNT",
            },
            "provider_name",
        ),
        (
            "email",
            {"email": "j@example.org", "provider": "P", "provider_name": "P\nQ"},
            "provider_name",
        ),
        (
            "email",
            {
                "email": "j@example.org",
                "provider": "P.wallet_provider_name:",
                "provider_name": "P",
            },
            "provider",
        ),
        (
            "mobile",
            {
                "msisdn": "+254712345678",
                "provider": "M",
                "provider_name": "M\u2028.fa_type:X",
            },
            "provider_name",
        ),
    ],
)
def test_values_that_would_break_the_patterns_are_refused(kind, values, field):
    with pytest.raises(FaValidationError) as info:
        build(kind, values)
    assert info.value.field == field


def test_a_value_spelling_a_key_is_refused_by_name_in_every_preset():
    with pytest.raises(FaValidationError) as info:
        build(
            "mobile",
            {
                "msisdn": "+254712345678",
                "provider": "M",
                "provider_name": "a.fa_type:b",
            },
            FaSettings(
                fa_preset=PRESET_CUSTOM, fa_format_mobile="{msisdn}/{provider_name}"
            ),
        )
    assert info.value.field == "provider_name"
    assert "'.fa_type:'" in info.value.message


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("bank", {"account": "1234567"}, "bank_code"),
        ("mobile", {"msisdn": "+254712345678", "provider": "MPESA"}, "provider_name"),
        ("email", {"email": "j@example.org", "provider_name": "PayPal"}, "provider"),
    ],
)
def test_openg2p_strategies_need_what_the_payment_side_pays_with(kind, values, field):
    with pytest.raises(FaValidationError, match="is missing") as info:
        build(kind, values)
    assert info.value.field == field


def test_a_typed_bank_code_must_be_the_ibans():
    with pytest.raises(FaValidationError) as info:
        build("bank", {"iban": "DE89370400440532013000", "bank_code": "50070010"})
    assert info.value.field == "bank_code"
    assert "'37040044'" in info.value.message
    with pytest.raises(FaValidationError) as info:
        build("bank", {"iban": "FR1420041010050500013M02606", "branch_code": "99999"})
    assert info.value.field == "branch_code"


def test_every_preset_has_every_slot():
    for templates in PRESETS.values():
        assert set(templates) == {"bank", "iban", "mobile", "email"}


def test_strategy_ids_per_kind():
    settings = FaSettings(strategy_id_bank="2", strategy_id_email="")
    assert settings.strategy_id("bank") == 2
    assert settings.strategy_id("mobile") is None
    assert settings.strategy_id("email") is None


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "²"])
def test_strategy_ids_must_be_positive_whole_numbers(value):
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(FaSettings(strategy_id_mobile=value))
    assert info.value.field == "g2p_spar_fa.strategy_id_mobile"


def test_unknown_preset_is_refused_naming_the_setting():
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(FaSettings(fa_preset="bridge"))
    assert info.value.field == "g2p_spar_fa.fa_preset"


def test_upgraded_databases_keep_what_they_pushed():
    short = dict(PRESETS[PRESET_SHORT])
    nothing = dict.fromkeys(short)
    assert preset_for_upgrade(short, has_fas=True) == PRESET_SHORT
    assert preset_for_upgrade(short, has_fas=False) == PRESET_SHORT
    # Blank templates meant the short defaults.
    assert preset_for_upgrade(dict(short, mobile=" "), has_fas=True) == PRESET_SHORT
    assert preset_for_upgrade(nothing, has_fas=True) == PRESET_SHORT
    # Templates of its own: kept, through the custom preset.
    own = dict(short, mobile="tel:{msisdn}")
    assert preset_for_upgrade(own, has_fas=False) == PRESET_CUSTOM
    # Nothing stored, nothing pushed: a fresh start.
    assert preset_for_upgrade(nothing, has_fas=False) == PRESET_OPENG2P
