"""Unit tests of the Odoo-free SPAR ID / financial address rules."""

import pytest

from g2p_spar_fa_base.lib import fa_format
from g2p_spar_fa_base.lib.fa_format import FaSettings, FaValidationError
from g2p_spar_fa_base.lib.fa_presets import PRESET_CUSTOM, PRESET_SHORT

# The G2P Connect short strings, as the templates' defaults spell them.
SETTINGS = FaSettings(fa_preset=PRESET_SHORT)


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
    settings = FaSettings(
        fa_preset=PRESET_CUSTOM, fa_format_mobile="{provider}:{msisdn}"
    )
    values = {"msisdn": "+254712345678", "provider": "MPESA"}
    assert fa_format.format_fa(settings, "mobile", values) == "MPESA:+254712345678"


def test_missing_placeholder_value_names_field_and_setting():
    with pytest.raises(FaValidationError) as info:
        fa_format.format_fa(SETTINGS, "bank", {"account": "1234567"})
    assert info.value.field == "bic"
    assert "g2p_spar_fa.fa_preset ('account_no:{account}@{bic}')" in (
        info.value.message
    )


def test_unknown_fa_placeholder_names_setting():
    settings = FaSettings(fa_preset=PRESET_CUSTOM, fa_format_email="email:{mail}")
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
    # The IBAN's bank code comes with it (a DE IBAN has no branch code).
    assert cleaned == {
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "bank_code": "37040044",
    }
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


def test_check_settings():
    fa_format.check_settings(FaSettings(phone_region="ke"))
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(FaSettings(phone_region="XX"))
    assert info.value.field == "g2p_spar_fa.phone_region"
    with pytest.raises(FaValidationError) as info:
        fa_format.check_settings(
            FaSettings(fa_preset=PRESET_CUSTOM, fa_format_iban="iban:{iban}@{swift}")
        )
    assert info.value.field == "g2p_spar_fa.fa_format_iban"


def test_error_message_names_the_field():
    assert str(FaValidationError("iban", "is wrong")) == "iban: is wrong"


def _length_error(field, value, normalize):
    with pytest.raises(FaValidationError) as info:
        normalize(value)
    assert info.value.field == field
    return info.value.message


@pytest.mark.parametrize(
    ("field", "normalize", "limit"),
    [
        ("account", fa_format.normalize_account, 34),
        ("bank_code", lambda v: fa_format.normalize_code("bank_code", v), 35),
        ("branch_code", lambda v: fa_format.normalize_code("branch_code", v), 35),
        ("provider", lambda v: fa_format.normalize_code("provider", v), 35),
        ("holder_name", fa_format.normalize_holder_name, 140),
    ],
)
def test_parts_are_limited_to_what_real_fas_need(field, normalize, limit):
    assert normalize("7" * limit) == "7" * limit
    message = _length_error(field, "7" * (limit + 1), normalize)
    assert message == f"is {limit + 1} characters long; at most {limit} are allowed"


def test_a_ten_thousand_digit_account_is_refused_without_quoting_it():
    with pytest.raises(FaValidationError) as info:
        fa_format.validate_fa("bank", {"account": "1" * 10_000, "bic": "DEUTDEFF"})
    assert info.value.field == "account"
    assert "at most 34" in info.value.message
    assert "1" * 40 not in str(info.value)


def test_account_limit_counts_the_compacted_number():
    spaced = " ".join(["1234"] * 8) + " 12"  # 34 digits, 42 characters
    assert fa_format.normalize_account(spaced) == "1234" * 8 + "12"


def test_iban_limit_is_34():
    # The longest IBANs in use (Saint Lucia) have 32 characters.
    assert fa_format.normalize_iban("LC39 ABCD 0000 0000 0000 0000 0000 0000") == (
        "LC39ABCD000000000000000000000000"
    )
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_iban("LC39ABCD" + "0" * 26)
    assert "not a valid IBAN" in info.value.message  # 34: past the length check
    message = _length_error("iban", "LC39ABCD" + "0" * 27, fa_format.normalize_iban)
    assert message == "is 35 characters long; at most 34 are allowed"


@pytest.mark.parametrize("length", [7, 9, 10, 12])
def test_bic_has_8_or_11_characters(length):
    assert fa_format.normalize_bic("DEUTDEFF") == "DEUTDEFF"
    assert fa_format.normalize_bic("deutdeff500") == "DEUTDEFF500"
    message = _length_error("bic", "DEUTDEFF500X"[:length], fa_format.normalize_bic)
    assert message == f"is {length} characters long; a BIC has 8 or 11"


def test_msisdn_is_limited_to_e164():
    # 15 digits with the country code pass; phonenumbers also calls some
    # 16-digit German numbers valid, which E.164 does not allow.
    assert fa_format.normalize_msisdn("+43 1 234567890123") == "+431234567890123"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_msisdn("+49 30 123456789012")
    assert info.value.field == "msisdn"
    assert info.value.message == (
        "has 16 digits with the country code; E.164 allows at most 15"
    )


def test_msisdn_input_is_limited_to_32_characters():
    typed = "+254 -- 712 -- 345 -- 678 ......"
    assert len(typed) == 32
    assert fa_format.normalize_msisdn(typed) == "+254712345678"
    message = _length_error("msisdn", typed + ".", fa_format.normalize_msisdn)
    assert message == "is 33 characters long; at most 32 are allowed"


def test_email_limits_follow_rfc_5321():
    domain = "a" * 63 + "." + "b" * 63 + "." + "c" * 57 + ".org"
    longest = "x" * 64 + "@" + domain
    assert len(longest) == 254
    assert fa_format.normalize_email(longest) == longest
    message = _length_error("email", "x" + longest, fa_format.normalize_email)
    assert message == "is 255 characters long; at most 254 are allowed"
    message = _length_error(
        "email", "x" * 65 + "@example.org", fa_format.normalize_email
    )
    assert message == "has 65 characters before the @; at most 64 are allowed"


def test_formatted_fa_is_limited_to_512_characters():
    email = "jane@example.org"
    settings = FaSettings(
        fa_preset=PRESET_CUSTOM, fa_format_email="p" * (512 - len(email)) + "{email}"
    )
    assert len(fa_format.format_fa(settings, "email", {"email": email})) == 512
    settings = FaSettings(
        fa_preset=PRESET_CUSTOM, fa_format_email="p" * (513 - len(email)) + "{email}"
    )
    with pytest.raises(FaValidationError) as info:
        fa_format.format_fa(settings, "email", {"email": email})
    assert info.value.field == "g2p_spar_fa.fa_format_email"
    assert "513 characters; at most 512" in info.value.message


def test_spar_id_is_limited_to_255_characters():
    # "token:" + id + "@REGISTRY_ID" adds 18 characters.
    assert len(fa_format.format_spar_id(SETTINGS, "R" * 237)) == 255
    with pytest.raises(FaValidationError) as info:
        fa_format.format_spar_id(SETTINGS, "R" * 238)
    assert info.value.field == "id"
    assert "256 characters; at most 255" in info.value.message


def test_registrant_id_is_stripped_and_control_characters_refused():
    assert fa_format.normalize_registrant_id(" R1\n") == "R1"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_registrant_id("R\x001")
    assert info.value.field == "id"
    assert info.value.message == "contains the control character U+0000 (NUL)"


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("bank", {"account": "123\x004567", "bic": "DEUTDEFF"}, "account"),
        ("bank", {"iban": "DE89\x00370400440532013000"}, "iban"),
        ("bank", {"account": "1234567", "bic": "DEUT\x00DEFF"}, "bic"),
        (
            "bank",
            {"account": "1", "bic": "DEUTDEFF", "bank_code": "1\x1b0"},
            "bank_code",
        ),
        (
            "bank",
            {"account": "1", "bic": "DEUTDEFF", "branch_code": "\x7f1"},
            "branch_code",
        ),
        ("mobile", {"msisdn": "+254712345678\x00"}, "msisdn"),
        ("mobile", {"msisdn": "+254712345678", "provider": "M\x00PESA"}, "provider"),
        ("email", {"email": "jane\x00@example.org"}, "email"),
    ],
)
def test_control_characters_are_refused_in_every_part(kind, values, field):
    with pytest.raises(FaValidationError) as info:
        fa_format.validate_fa(kind, values)
    assert info.value.field == field
    assert info.value.message.startswith("contains the control character U+")


def test_holder_name_is_stripped_and_control_characters_refused():
    assert fa_format.normalize_holder_name(" Jane Doe ") == "Jane Doe"
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_holder_name("Jane\x00Doe")
    assert info.value.field == "holder_name"


@pytest.mark.parametrize(
    ("normalize", "value", "masked"),
    [
        (fa_format.normalize_account, "SECRET@4567", "*****67"),
        (fa_format.normalize_iban, "DE89370400440532013001", "*****001"),
        (fa_format.normalize_bic, "SECR1234", "*****34"),
        (lambda v: fa_format.normalize_msisdn(v, "KE"), "0812", "*****2"),
        (fa_format.normalize_email, "secret.person@", "*****on@"),
        (lambda v: fa_format.normalize_code("provider", v), "SECRET:X", "*****:X"),
    ],
)
def test_errors_quote_the_value_to_the_user_and_mask_it_in_the_redacted_text(
    normalize, value, masked
):
    with pytest.raises(FaValidationError) as info:
        normalize(value)
    assert repr(value) in info.value.message
    assert repr(value) in str(info.value)
    redacted = fa_format.safe_message(info.value)
    assert redacted == f"{info.value.field}: {info.value.redacted_message}"
    assert redacted.startswith(f"{info.value.field}: {masked!r} ")
    assert value not in redacted


def test_long_values_are_quoted_shortened():
    with pytest.raises(FaValidationError) as info:
        fa_format.normalize_email("@" * 200)
    assert "@" * 70 not in info.value.message


def test_safe_message_of_errors_without_a_redacted_text():
    assert fa_format.safe_message(ValueError("boom")) == "boom"
    error = FaValidationError("kind", "unknown kind 'cash'")
    assert fa_format.safe_message(error) == "kind: unknown kind 'cash'"


@pytest.mark.parametrize(
    ("kind", "values", "field"),
    [
        ("bank", {"account": 123, "bic": "DEUTDEFF"}, "account"),
        ("mobile", {"msisdn": 254712345678}, "msisdn"),
        ("email", {"email": ["a@b.org"]}, "email"),
    ],
)
def test_values_that_are_not_text_are_refused(kind, values, field):
    with pytest.raises(FaValidationError) as info:
        fa_format.validate_fa(kind, values)
    assert info.value.field == field
    assert info.value.message.startswith("must be text, not ")


def test_unpaired_surrogates_are_refused():
    with pytest.raises(FaValidationError) as info:
        fa_format.validate_fa("email", {"email": "jane\ud800@example.org"})
    assert info.value.field == "email"
    assert info.value.message == "contains the unpaired surrogate U+D800"
