"""Payment FA values from what OpenG2P's registry holds about a registrant.

OpenG2P keeps bank accounts as ``res.partner.bank`` records (``g2p_bank``)
and phone numbers as ``g2p.phone.number`` records. These functions say which
of them becomes the registrant's payment FA and with which values; the FA
model still validates them like any other channel's. Nothing here imports
Odoo, so the rules are unit-tested without a database.
"""

import dataclasses
import re

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

KIND_BANK = "bank"
KIND_MOBILE = "mobile"

SOURCE_BANK = "bank"
SOURCE_PHONE = "phone"
SOURCE_BANK_THEN_PHONE = "bank_then_phone"
SOURCES = (
    (SOURCE_BANK, "Bank accounts"),
    (SOURCE_BANK_THEN_PHONE, "Bank accounts, else a phone number"),
    (SOURCE_PHONE, "Phone numbers"),
)
NO_SOURCE_REASON = {
    SOURCE_BANK: "no bank account",
    SOURCE_PHONE: "no phone number in use",
    SOURCE_BANK_THEN_PHONE: "no bank account and no phone number in use",
}

# What any IBAN looks like (ISO 13616: country, check digits, up to 30
# letters and digits, 15 characters at least): checked before the checksum,
# which a backfill would otherwise compute for every plain account number.
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
# The value a validation message quotes first ("'DE89…' is not a valid IBAN").
_QUOTED_VALUE = re.compile(r"""^(?P<q>['"]).*?(?P=q)\s+""")


@dataclasses.dataclass(frozen=True)
class BankAccount:
    """What of a ``res.partner.bank`` record makes a payment FA."""

    id: int
    acc_number: str
    sequence: int = 10
    bank_id: int | None = None
    bank_bic: str | None = None
    bank_country_code: str | None = None
    holder_name: str | None = None


@dataclasses.dataclass(frozen=True)
class PhoneNumber:
    """What of a ``g2p.phone.number`` record makes a payment FA."""

    id: int
    number: str
    disabled: bool = False


def is_iban(value):
    if not _IBAN_SHAPE.match(stdnum_iban.compact(value or "")):
        return False
    try:
        stdnum_iban.validate(value)
    except StdnumValidationError:
        return False
    return True


def derived_iban(account):
    """The IBAN g2p_bank shows for ``account`` (its computed ``iban``), or
    None when it cannot build a valid one.

    g2p_bank derives it from the bank's country, the bank's BIC as bank code
    and the account number, and raises on input it cannot use; a backfill of
    thousands of accounts must not stop at one of them.
    """
    if not (account.bank_country_code and account.bank_bic and account.acc_number):
        return None
    try:
        value = IBAN.generate(
            account.bank_country_code,
            bank_code=account.bank_bic,
            account_code=account.acc_number,
        )
    except (SchwiftyException, ValueError):
        return None
    return str(value.compact) if is_iban(str(value.compact)) else None


def primary_account(accounts):
    """The account that pays the registrant: the first by OpenG2P's order
    of ``bank_ids`` (sequence, then the oldest)."""
    ordered = sorted(accounts, key=lambda a: (a.sequence, a.id))
    return ordered[0] if ordered else None


def bank_fa_values(account):
    """The FA values of a bank account (not yet validated).

    An account number that is an IBAN is given as the IBAN only; otherwise
    the number is kept as it is and g2p_bank's IBAN is added when it can be
    built. The BIC comes from the bank (the FA model fills it in).
    """
    vals = {"kind": KIND_BANK}
    number = (account.acc_number or "").strip()
    if is_iban(number):
        vals["iban"] = number
    else:
        vals["account_number"] = number
        iban = derived_iban(account)
        if iban:
            vals["iban"] = iban
    if account.bank_id:
        vals["bank_id"] = account.bank_id
    if account.holder_name and account.holder_name.strip():
        vals["holder_name"] = account.holder_name.strip()
    return vals


def phone_fa_values(phones):
    """A mobile wallet FA on the newest phone number still in use, or None.

    Only reached when the person running a backfill chose phone numbers as
    a source: a contact number never becomes a payment destination by
    itself.
    """
    in_use = sorted((p for p in phones if not p.disabled), key=lambda p: -p.id)
    if not in_use:
        return None
    return {"kind": KIND_MOBILE, "payment_msisdn": in_use[0].number.strip()}


def candidate_values(source, accounts, phones):
    """The FA values a backfill from ``source`` proposes, or None."""
    if source in (SOURCE_BANK, SOURCE_BANK_THEN_PHONE):
        account = primary_account(accounts)
        if account:
            return bank_fa_values(account)
    if source in (SOURCE_PHONE, SOURCE_BANK_THEN_PHONE):
        return phone_fa_values(phones)
    return None


def reason_of(label, redacted_message):
    """A validation problem without the value it quotes, so that problems of
    thousands of registrants group into a few reasons."""
    return f"{label}: {_QUOTED_VALUE.sub('', redacted_message, count=1)}"
