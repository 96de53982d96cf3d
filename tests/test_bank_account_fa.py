"""Which of OpenG2P's bank accounts and phone numbers becomes a payment FA."""

from g2p_spar_fa_openg2p.lib import bank_account_fa as B

IBAN = "DE89370400440532013000"


def _account(id_=1, number="1234567", **vals):
    return B.BankAccount(id=id_, acc_number=number, **vals)


def test_an_iban_account_number_is_given_as_the_iban_only():
    vals = B.bank_fa_values(_account(number=f" {IBAN} ", bank_id=7))
    assert vals == {"kind": "bank", "iban": IBAN, "bank_id": 7}


def test_an_iban_is_recognised_however_it_is_typed_and_only_an_iban():
    assert B.is_iban("de89 3704 0044 0532 0130 00")
    assert not B.is_iban("DE89370400440532013001")  # check digits wrong
    assert not B.is_iban("0532013000")
    assert not B.is_iban("DE89")
    assert not B.is_iban(None)


def test_a_plain_account_keeps_its_number_and_gets_g2p_banks_iban():
    account = _account(number="0532013000", bank_bic="37040044", bank_country_code="DE")
    vals = B.bank_fa_values(account)
    assert vals["account_number"] == "0532013000"
    assert vals["iban"] == IBAN


def test_no_iban_when_g2p_bank_cannot_build_one():
    account = _account(bank_bic="COBADEFFXXX", bank_country_code="DE")
    assert "iban" not in B.bank_fa_values(account)
    assert B.derived_iban(_account(bank_bic="X", bank_country_code="ZZ")) is None


def test_the_first_account_by_sequence_then_age_pays():
    accounts = [_account(3, "c", sequence=10), _account(2, "b", sequence=10)]
    assert B.primary_account([*accounts, _account(9, "a", sequence=1)]).id == 9
    assert B.primary_account(accounts).id == 2
    assert B.primary_account([]) is None


def test_holder_name_only_when_given():
    assert "holder_name" not in B.bank_fa_values(_account(holder_name="  "))
    assert B.bank_fa_values(_account(holder_name=" Amina "))["holder_name"] == "Amina"


def test_phone_numbers_only_on_choice_newest_in_use():
    phones = [
        B.PhoneNumber(1, "+254700000001"),
        B.PhoneNumber(3, "+254700000003", disabled=True),
        B.PhoneNumber(2, "+254700000002"),
    ]
    assert B.candidate_values(B.SOURCE_BANK, [], phones) is None
    assert B.candidate_values(B.SOURCE_PHONE, [_account()], phones) == {
        "kind": "mobile",
        "payment_msisdn": "+254700000002",
    }
    assert (
        B.candidate_values(B.SOURCE_BANK_THEN_PHONE, [_account()], phones)["kind"]
        == "bank"
    )
    assert B.phone_fa_values([B.PhoneNumber(1, "+2547", disabled=True)]) is None


def test_reasons_drop_the_quoted_value():
    assert (
        B.reason_of("IBAN", "'DE89…3000' is not a valid IBAN")
        == "IBAN: is not a valid IBAN"
    )
    assert B.reason_of("BIC", "is missing") == "BIC: is missing"
