"""Field mapping of ODK submissions to registrant and payment FA values."""

from datetime import timedelta

import pytest

from g2p_odk_importer_fa.lib import retry_policy, submission_mapping
from g2p_odk_importer_fa.tests import odk_replay

M = submission_mapping


def _feed(phase):
    fixtures = odk_replay.load_fixtures()
    subs = odk_replay.recorded_feed(fixtures, phase)
    return {
        key: next(s for s in subs if s["__id"] == iid)
        for key, iid in fixtures["instance_ids"].items()
        if any(s["__id"] == iid for s in subs)
    }


@pytest.fixture(scope="module")
def feed():
    return _feed("initial")


@pytest.fixture(scope="module")
def edited():
    """Submissions as Central sent them after they were edited there."""
    return _feed("after_edit")


def test_mobile_submission(feed):
    mapped = M.map_submission(feed["mobile"], M.DEFAULT_MAPPING)
    assert mapped.registrant == {"name": "Baraka Mwangi", "phone": "+254700000102"}
    assert mapped.fa == {
        "kind": "mobile",
        "payment_msisdn": "0712345678",
        "provider_code": "MPESA",
    }
    assert mapped.instance_id == feed["mobile"]["__id"]
    assert mapped.version == feed["mobile"]["__system"]["submissionDate"]


def test_contact_phone_is_never_the_payment_number(feed):
    mapped = M.map_submission(feed["bank"], M.DEFAULT_MAPPING)
    assert "payment_msisdn" not in mapped.fa
    assert mapped.registrant["phone"] == "+254700000101"
    assert mapped.fa == {
        "kind": "bank",
        "account_number": "1234567890",
        "bic": "COBADEFFXXX",
    }


def test_invalid_values_are_left_to_the_fa_model(feed):
    # Validation is the FA model's job (same rules for every channel).
    mapped = M.map_submission(feed["bad_iban"], M.DEFAULT_MAPPING)
    assert mapped.fa["iban"] == "DE00123456789012345678"


def test_missing_kind_is_refused(feed):
    # A payment number without a kind: the FA cannot be told, nor dropped.
    with pytest.raises(M.MappingError) as err:
        M.map_submission(feed["missing_kind"], M.DEFAULT_MAPPING)
    assert err.value.target == "fa_kind"
    assert "payment kind is missing (the submission gives payment_msisdn)" in str(
        err.value
    )


def test_edit_that_removed_the_payment_address_gives_no_fa(feed, edited):
    # Central: the e-mail wallet's address was removed, its provider kept.
    assert M.map_submission(feed["email"], M.DEFAULT_MAPPING).fa
    mapped = M.map_submission(edited["email"], M.DEFAULT_MAPPING)
    assert mapped.fa is None
    assert mapped.registrant == {"name": "Dalia Haddad", "phone": "+254700000104"}


def test_edit_that_set_the_kind_to_none_gives_no_fa(edited):
    assert edited["iban"]["payment"]["fa_kind"] == "none"
    mapped = M.map_submission(edited["iban"], M.DEFAULT_MAPPING)
    assert mapped.fa is None
    assert mapped.bank is None
    assert mapped.registrant["name"] == "Chen Wei"


def test_blank_payment_section_gives_no_fa(feed):
    sub = {**feed["bank"], "payment": dict.fromkeys(feed["bank"]["payment"])}
    assert M.map_submission(sub, M.DEFAULT_MAPPING).fa is None


def test_mapped_field_absent_from_the_submission_is_a_mapping_error(feed):
    # A typo in the mapping must fail loudly, never read as "no payment
    # number" (which would remove every registrant's FA).
    mapping = {**M.DEFAULT_MAPPING, "payment_msisdn": "payment/msisdn"}
    with pytest.raises(M.MappingError) as err:
        M.map_submission(feed["mobile"], mapping)
    assert err.value.target == "payment_msisdn"
    assert "no field 'payment/msisdn'" in str(err.value)


def test_redact_masks_the_payment_destinations(feed):
    text = "IBAN: 'DE00123456789012345678' is not a valid IBAN; Emeka Obi"
    redacted = M.redact(text, feed["bad_iban"], M.DEFAULT_MAPPING)
    assert redacted == "IBAN: '*****678' is not a valid IBAN; Emeka Obi"
    number = "Payment Mobile Number: '0712345678' is not a phone number"
    assert "0712345678" not in M.redact(number, feed["mobile"], M.DEFAULT_MAPPING)


def test_retry_delay_doubles_from_the_poll_interval_up_to_a_day():
    delays = [retry_policy.retry_delay(n, 60) for n in (1, 2, 3, 5, 40)]
    assert delays == [
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=16),
        timedelta(days=1),
    ]
    assert retry_policy.retry_delay(1, 0) == timedelta(minutes=1)


def test_unknown_kind_and_missing_name():
    sub = {"__id": "uuid:x", "n": "A", "k": "cash"}
    with pytest.raises(M.MappingError, match="unknown payment kind"):
        M.map_submission(sub, {"name": "n", "fa_kind": "k"})
    with pytest.raises(M.MappingError, match="name"):
        M.map_submission({"__id": "uuid:x", "k": "bank"}, {"name": "n", "fa_kind": "k"})
    assert M.map_submission({**sub, "k": "Mobile_Money"}, {"name": "n", "fa_kind": "k"})


def test_check_mapping():
    M.check_mapping(M.DEFAULT_MAPPING)
    with pytest.raises(M.MappingError):
        M.check_mapping({"first_name": "a"})
    with pytest.raises(M.MappingError):
        M.check_mapping({"first_name": "a", "fa_kind": "b", "salary": "c"})
    with pytest.raises(M.MappingError):
        M.check_mapping({"first_name": "", "fa_kind": "b"})


def test_version_is_newer():
    assert M.version_is_newer("2026-01-01T00:00:00.001Z", None)
    assert M.version_is_newer("2026-01-01T00:00:00.002Z", "2026-01-01T00:00:00.001Z")
    assert not M.version_is_newer(
        "2026-01-01T00:00:00.001Z", "2026-01-01T00:00:00.001Z"
    )


def test_extra_targets_of_an_extension_are_allowed_and_returned(feed):
    mapping = dict(M.DEFAULT_MAPPING, reg_id="first_name")
    with pytest.raises(M.MappingError, match="reg_id: unknown target"):
        M.check_mapping(mapping)
    M.check_mapping(mapping, extra_targets=("reg_id",))
    mapped = M.map_submission(feed["bank"], mapping, extra_targets=("reg_id",))
    assert mapped.extra == {"reg_id": "Amina"}
    assert M.map_submission(feed["bank"], M.DEFAULT_MAPPING, ("reg_id",)).extra == {}
