"""The FA vocabulary holds together: every list derived from it agrees."""

from g2p_odk_importer_fa.lib import submission_mapping
from g2p_spar_fa_base.lib import fa_vocabulary as V


def test_kind_fields_are_the_kind_values_and_its_extras():
    assert V.KIND_FIELDS == {
        "bank": (
            "account_number",
            "iban",
            "bic",
            "bank_code",
            "branch_code",
            "bank_id",
            "holder_name",
        ),
        "mobile": ("payment_msisdn", "provider_code"),
        "email": ("payment_email", "provider_code"),
    }
    # The provider's name comes from the provider an administrator keeps.
    assert "provider_name" not in V.FA_VALUE_FIELDS
    assert V.DERIVED_PLACEHOLDERS == ("provider_name",)
    assert {kind: "provider_name" in V.KIND_PLACEHOLDERS[kind] for kind in V.KINDS} == {
        "bank": False,
        "mobile": True,
        "email": True,
    }


def test_destinations_and_secrets_are_values_of_their_kind():
    for kind, names in V.DESTINATION_PLACEHOLDERS.items():
        assert set(names) <= set(V.KIND_PLACEHOLDERS[kind])
    assert set(V.SECRET_PLACEHOLDERS) <= set(V.FA_PLACEHOLDERS)


def test_odk_targets_cover_every_fa_value():
    mapped = set(submission_mapping.FA_TARGETS.values())
    assert mapped == {*V.FA_VALUE_FIELDS, "bank"} - {"bank_id"}
    assert set(submission_mapping.KIND_ALIASES.values()) == set(V.KINDS)
