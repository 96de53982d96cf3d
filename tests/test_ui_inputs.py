"""Unit tests of the checks the portal, the API and RPC apply to free text."""

import pytest

from g2p_spar_fa_ui.lib import inputs


@pytest.mark.parametrize(
    "value",
    ["with\x00nul", "line\nbreak", "tab\there", "escape\x1b[0m", "del\x7f", "\ud800"],
)
def test_control_characters_and_lone_surrogates_are_refused(value):
    with pytest.raises(inputs.InputProblem) as caught:
        inputs.check_text("holder_name", value)
    assert (caught.value.field, caught.value.code) == ("holder_name", inputs.CONTROL)


@pytest.mark.parametrize("value", [5, 1.5, True, None, ["x"], {"a": "b"}])
def test_values_that_are_not_text_are_refused(value):
    with pytest.raises(inputs.InputProblem) as caught:
        inputs.check_text("reason", value)
    assert caught.value.code == inputs.NOT_TEXT


def test_plain_text_passes_unchanged():
    value = "Zoë Ñúñez-O'Brien, 12 rue de l'Église"
    assert inputs.check_text("name", value) == value


def test_length_limits_are_per_field():
    reason = "x" * inputs.REASON_MAX
    assert not inputs.text_problems({"reason": reason})
    problems = inputs.text_problems(
        {
            "reason": reason + "x",
            "request_ref": "r" * (inputs.REQUEST_REF_MAX + 1),
            "holder_name": "h" * (inputs.TEXT_MAX + 1),
            "account_number": "12345678",
        }
    )
    assert {f: (p.code, p.limit) for f, p in problems.items()} == {
        "reason": (inputs.TOO_LONG, inputs.REASON_MAX),
        "request_ref": (inputs.TOO_LONG, inputs.REQUEST_REF_MAX),
        "holder_name": (inputs.TOO_LONG, inputs.TEXT_MAX),
    }


def test_twenty_megabytes_of_reason_are_refused():
    problems = inputs.text_problems({"reason": "a" * 20_000_000})
    assert problems["reason"].code == inputs.TOO_LONG


@pytest.mark.parametrize("value", ["abc", "", "-1", "0", "1.5", "٣", "99999999999", 7])
def test_record_ids_must_be_positive_decimal_integers(value):
    with pytest.raises(inputs.InputProblem) as caught:
        inputs.check_record_id("bank_id", value)
    assert (caught.value.field, caught.value.code) == ("bank_id", inputs.NOT_CHOICE)


def test_record_id_is_parsed():
    assert inputs.check_record_id("bank_id", "42") == 42
