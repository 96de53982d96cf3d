"""Unit tests of the Odoo-free SPAR ID / financial address rules."""

import pytest

from g2p_spar_fa_base.lib import fa_format
from g2p_spar_fa_base.lib.fa_format import FaSettings, FaValidationError

SETTINGS = FaSettings()


def test_settings_default_blank_and_missing_params():
    params = {"g2p_spar_fa.id_type": "NATIONAL_ID", "g2p_spar_fa.id_format": "  "}
    settings = FaSettings.from_params(params.get)
    assert settings.id_type == "NATIONAL_ID"
    assert settings.id_format == "token:{id}@{id_type}"
    assert settings.fa_format_bank == "account_no:{account}@{bic}"
    assert settings.phone_region == ""


def test_spar_id_default_format():
    assert (
        fa_format.format_spar_id(SETTINGS, "REG000123") == "token:REG000123@REGISTRY_ID"
    )


def test_spar_id_custom_format():
    settings = FaSettings(id_format="{id_type}/{id}", id_type="NID")
    assert fa_format.format_spar_id(settings, "42") == "NID/42"


def test_spar_id_unknown_placeholder_names_setting():
    settings = FaSettings(id_format="token:{uid}@{id_type}")
    with pytest.raises(FaValidationError) as info:
        fa_format.format_spar_id(settings, "42")
    assert info.value.field == "g2p_spar_fa.id_format"
    assert "{uid}" in info.value.message


@pytest.mark.parametrize("template", ["token:{id!r}", "token:{id:>10}", "x:{}"])
def test_placeholder_syntax_beyond_names_is_rejected(template):
    with pytest.raises(FaValidationError) as info:
        fa_format.format_spar_id(FaSettings(id_format=template), "42")
    assert info.value.field == "g2p_spar_fa.id_format"


def test_empty_and_malformed_formats_are_rejected():
    with pytest.raises(FaValidationError, match="empty"):
        fa_format.format_spar_id(FaSettings(id_format=" "), "42")
    with pytest.raises(FaValidationError, match="malformed"):
        fa_format.format_spar_id(FaSettings(id_format="token:{id"), "42")


def test_bank_fa_uses_account_and_bic():
    values = {"account": "1234567", "bic": "DEUTDEFF"}
    assert (
        fa_format.format_fa(SETTINGS, "bank", values) == "account_no:1234567@DEUTDEFF"
    )


def test_iban_format_is_used_when_an_iban_is_given():
    values = {
        "account": "0532013000",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
    }
    assert (
        fa_format.format_fa(SETTINGS, "bank", values)
        == "iban:DE89370400440532013000@COBADEFFXXX"
    )


def test_mobile_and_email_fa():
    assert (
        fa_format.format_fa(SETTINGS, "mobile", {"msisdn": "+254712345678"})
        == "phone:+254712345678"
    )
    assert (
        fa_format.format_fa(SETTINGS, "email", {"email": "jane@example.org"})
        == "email:jane@example.org"
    )


def test_custom_format_with_provider():
    settings = FaSettings(fa_format_mobile="{provider}:{msisdn}")
    values = {"msisdn": "+254712345678", "provider": "MPESA"}
    assert fa_format.format_fa(settings, "mobile", values) == "MPESA:+254712345678"


def test_missing_placeholder_value_names_field_and_setting():
    with pytest.raises(FaValidationError) as info:
        fa_format.format_fa(SETTINGS, "bank", {"account": "1234567"})
    assert info.value.field == "bic"
    assert "g2p_spar_fa.fa_format_bank" in info.value.message


def test_unknown_fa_placeholder_names_setting():
    settings = FaSettings(fa_format_email="email:{mail}")
    with pytest.raises(FaValidationError) as info:
        fa_format.format_fa(settings, "email", {"email": "jane@example.org"})
    assert info.value.field == "g2p_spar_fa.fa_format_email"
    assert "{mail}" in str(info.value)


def test_unknown_kind():
    with pytest.raises(FaValidationError) as info:
        fa_format.format_fa(SETTINGS, "cash", {})
    assert info.value.field == "kind"


def test_iban_is_compacted_and_checked():
    assert fa_format.normalize_iban("de89 3704 0044 0532 0130 00") == (
        "DE89370400440532013000"
    )
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_iban("DE89 3704 0044 0532 0130 01")
    assert info.value.field == "iban"


def test_bic_is_upper_cased_and_checked():
    assert fa_format.normalize_bic("cobadeffxxx") == "COBADEFFXXX"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_bic("COBA1")
    assert info.value.field == "bic"


def test_account_number_may_not_break_the_fa_string():
    assert fa_format.normalize_account(" 123 4567 ") == "1234567"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_account("123@4567")
    assert info.value.field == "account"


def test_codes_may_not_contain_delimiters():
    assert fa_format.normalize_code("provider", " MPESA ") == "MPESA"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_code("provider", "M:PESA")
    assert info.value.field == "provider"


def test_msisdn_international_number_accepted_in_any_region():
    assert fa_format.normalize_msisdn("+254 712 345 678", "DE") == "+254712345678"
    assert fa_format.normalize_msisdn("+254712345678") == "+254712345678"


def test_msisdn_national_number_uses_region():
    assert fa_format.normalize_msisdn("0712 345 678", "ke") == "+254712345678"


def test_msisdn_national_number_without_region_explains_itself():
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_msisdn("0712345678", "")
    assert info.value.field == "msisdn"
    assert "phone region" in info.value.message


@pytest.mark.parametrize("value", ["12", "not a number", "+99912345678"])
def test_msisdn_invalid(value):
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_msisdn(value, "KE")
    assert info.value.field == "msisdn"


def test_email_normalised_and_checked():
    assert fa_format.normalize_email(" jane@Example.ORG ") == "jane@example.org"
    for bad in ("jane", "jane@", "jane@@example.org", "jane@exa mple.org"):
        with pytest.raises(FaValidationError) as info:
            fa_format.normalize_email(bad)
        assert info.value.field == "email"


def test_validate_fa_normalises_and_drops_blanks():
    cleaned = fa_format.validate_fa(
        "bank",
        {"account": "", "iban": "DE89 3704 0044 0532 0130 00", "bic": "cobadeffxxx"},
    )
    assert cleaned == {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
    cleaned = fa_format.validate_fa("mobile", {"msisdn": "0712345678"}, "KE")
    assert cleaned == {"msisdn": "+254712345678"}


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("bank", {"bic": "DEUTDEFF"}, "account"),
        ("mobile", {"provider": "MPESA"}, "msisdn"),
        ("email", {}, "email"),
        ("bank", {"account": "1", "msisdn": "+254712345678"}, "msisdn"),
        ("email", {"email": "a@example.org", "iban": "x"}, "iban"),
        ("cash", {}, "kind"),
    ],
)
def test_validate_fa_rejects_incomplete_or_mixed_kinds(kind, values, field):
    with pytest.raises(FaValidationError) as info:
        fa_format.validate_fa(kind, values, "KE")
    assert info.value.field == field


def test_masked_fa_strings():
    assert (
        fa_format.mask_fa(
            SETTINGS, "bank", {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}
        )
        == "iban:****3000@COBADEFFXXX"
    )
    assert (
        fa_format.mask_fa(SETTINGS, "bank", {"account": "1234567", "bic": "DEUTDEFF"})
        == "account_no:****4567@DEUTDEFF"
    )
    assert (
        fa_format.mask_fa(SETTINGS, "mobile", {"msisdn": "+254712345678"})
        == "phone:+2547*****678"
    )
    assert (
        fa_format.mask_fa(SETTINGS, "email", {"email": "jane@example.org"})
        == "email:j***@example.org"
    )


def test_short_values_are_fully_masked():
    assert fa_format.mask_account("1234") == "****"
    assert fa_format.mask_msisdn("+12345") == "******"
    assert fa_format.mask_values({"bic": "DEUTDEFF", "account": ""}) == {
        "bic": "DEUTDEFF",
        "account": "",
    }


def test_check_settings():
    fa_format.check_settings(FaSettings(phone_region="ke"))
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(FaSettings(phone_region="XX"))
    assert info.value.field == "g2p_spar_fa.phone_region"
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(FaSettings(fa_format_iban="iban:{iban}@{swift}"))
    assert info.value.field == "g2p_spar_fa.fa_format_iban"


def test_error_message_names_the_field():
    assert str(FaValidationError("iban", "is wrong")) == "iban: is wrong"
