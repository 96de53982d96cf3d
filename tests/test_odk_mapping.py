"""Field mapping of ODK submissions to registrant and payment FA values."""

import pytest

from g2p_odk_importer_fa.lib import odk_replay, submission_mapping

M = submission_mapping


@pytest.fixture(scope="module")
def feed():
    fixtures = odk_replay.load_fixtures("central_initial.json")
    subs = odk_replay.recorded_feed(fixtures)
    return {
        key: next(s for s in subs if s["__id"] == iid)
        for key, iid in fixtures["instance_ids"].items()
        if any(s["__id"] == iid for s in subs)
    }


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
    with pytest.raises(M.MappingError) as err:
        M.map_submission(feed["missing_kind"], M.DEFAULT_MAPPING)
    assert err.value.target == "fa_kind"


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
