"""SPAR ID and financial address (FA) rules, kept free of Odoo imports.

The registry, a sync worker and the unit tests must all agree on how an FA
is validated, rendered and masked, so the rules live here once and the Odoo
models only translate :class:`FaValidationError` into user-facing errors.
"""

import dataclasses
import re
import string
import unicodedata

import email_validator
import phonenumbers
import schwifty
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from .fa_presets import (
    KEY_SEPARATORS,
    OPTIONAL_PLACEHOLDERS,
    PRESET_CUSTOM,
    PRESET_OPENG2P,
    PRESETS,
    TEMPLATE_SLOTS,
)
from .fa_vocabulary import (
    DESTINATION_PLACEHOLDERS,
    FA_PLACEHOLDERS,
    KIND_BANK,
    KIND_EMAIL,
    KIND_MOBILE,
    KIND_PLACEHOLDERS,
    KINDS,
)
from .masking import mask_value

PARAM_PREFIX = "g2p_spar_fa."

ID_PLACEHOLDERS = ("id", "id_type")

# ":" and "@" delimit the parts of an FA string, so free-form codes must not
# contain them (nor whitespace) or the string could not be parsed back.
_CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9-]+$")

# The longest values real FAs need. Past them an input is a mistake (or an
# attack) that would otherwise be stored, signed, sent and indexed as is.
MAX_LENGTHS = {
    "account": 34,  # ISO 20022 account identification (Max34Text)
    "iban": 34,  # ISO 13616
    "bank_code": 35,  # ISO 20022 clearing system member ID (Max35Text)
    "branch_code": 35,
    "provider": 35,
    "provider_name": 140,
    "holder_name": 140,  # ISO 20022 party name (Max140Text)
    "msisdn": 32,  # as typed, spaces and punctuation included
    "email": 254,  # RFC 5321 forward path, less its angle brackets
}
BIC_LENGTHS = (8, 11)  # ISO 9362
MSISDN_MAX_DIGITS = 15  # ITU-T E.164
EMAIL_LOCAL_MAX_LENGTH = 64  # RFC 5321
# SPAR keeps both strings in unique/plain b-tree indexes and payment systems
# echo them back; a long one can only come from an odd format setting.
MAX_SPAR_ID_LENGTH = 255
MAX_FA_LENGTH = 512
# How much of a value a message quotes: a 10,000-character input must not
# become the message.
_QUOTE_MAX = 64


class FaValidationError(ValueError):
    """A value or setting is unusable; ``field`` names the culprit.

    ``field`` is either one of :data:`FA_PLACEHOLDERS` / :data:`ID_PLACEHOLDERS`,
    ``holder_name`` or a configuration parameter key, so callers can map it to
    a label. ``message`` may quote the rejected value for the person who typed
    it; ``redacted_message`` (and ``redacted``, the counterpart of ``str()``)
    says the same without it, for logs and stored error texts.
    """

    def __init__(self, field, message, redacted_message=None):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.redacted_message = (
            message if redacted_message is None else redacted_message
        )

    @property
    def redacted(self):
        return f"{self.field}: {self.redacted_message}"


def safe_message(exc):
    """The text of ``exc`` fit for a log line or a stored error.

    Errors that quote FA values carry a ``redacted`` twin of their message;
    anything else is assumed to quote none.
    """
    redacted = getattr(exc, "redacted", None)
    return str(exc) if redacted is None else redacted


def _quote(value):
    if len(value) > _QUOTE_MAX:
        value = value[: _QUOTE_MAX - 3] + "..."
    return repr(value)


def _value_error(field, value, problem, detail=None):
    """An error quoting ``value`` to the user, with a redacted twin.

    The twin shows the value through :func:`.masking.mask_value`. The details of
    the validating library may quote the value, so the twin leaves them out.
    """
    message = f"{_quote(value)} {problem}"
    if detail:
        message += f" ({detail})"
    masked = _quote(mask_value(value))
    return FaValidationError(field, message, f"{masked} {problem}")


def clean_text(field, value):
    """Strip ``value`` and refuse control characters in what is left.

    PostgreSQL cannot store a NUL at all, and no other control character
    belongs in an ID, a name or an FA part: they only hide a value's real
    content from the people reading it. JSON clients may send numbers:
    refused too, since an account number as a number has lost its leading
    zeros.
    """
    if not isinstance(value, str):
        raise FaValidationError(field, f"must be text, not {type(value).__name__}")
    value = value.strip()
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc":
            # NUL is the one people search for (and PostgreSQL's word for it).
            name = " (NUL)" if char == "\x00" else ""
            raise FaValidationError(
                field, f"contains the control character U+{ord(char):04X}{name}"
            )
        if category == "Cs":
            # JSON can carry half a UTF-16 pair; no database encoding can.
            raise FaValidationError(
                field, f"contains the unpaired surrogate U+{ord(char):04X}"
            )
    return value


def check_length(field, value, limit):
    if len(value) > limit:
        raise FaValidationError(
            field, f"is {len(value)} characters long; at most {limit} are allowed"
        )
    return value


@dataclasses.dataclass(frozen=True)
class FaSettings:
    """Formatting settings; attribute ``x`` is stored under ``g2p_spar_fa.x``."""

    id_format: str = "token:{id}@{id_type}"
    id_type: str = "REGISTRY_ID"
    fa_preset: str = PRESET_OPENG2P  # an upgraded database: see the migration
    fa_format_bank: str = "account_no:{account}@{bic}"
    fa_format_iban: str = "iban:{iban}@{bic}"
    fa_format_mobile: str = "phone:{msisdn}"
    fa_format_email: str = "email:{email}"
    phone_region: str = ""
    # SPAR strategy id of the format used, per kind; empty: none is sent.
    strategy_id_bank: str = ""
    strategy_id_mobile: str = ""
    strategy_id_email: str = ""

    @classmethod
    def from_params(cls, get_param):
        """Build settings from a ``key -> value`` getter, defaulting blanks."""
        values = {}
        for field in dataclasses.fields(cls):
            value = get_param(setting_key(field.name))
            values[field.name] = (value or "").strip() or field.default
        return cls(**values)

    def fa_template(self, kind, values):
        """Return ``(setting attribute, template)`` used for an FA of ``kind``:
        the preset's template, or the custom one of the slot."""
        if kind == KIND_BANK:
            slot = "iban" if values.get("iban") else "bank"
        elif kind in KINDS:
            slot = kind
        else:
            raise FaValidationError("kind", f"unknown kind {kind!r}")
        if self.fa_preset == PRESET_CUSTOM:
            attr = f"fa_format_{slot}"
            return attr, getattr(self, attr)
        if self.fa_preset not in PRESETS:
            raise FaValidationError(
                setting_key("fa_preset"), f"unknown FA format {self.fa_preset!r}"
            )
        return "fa_preset", PRESETS[self.fa_preset][slot]

    def strategy_id(self, kind):
        """SPAR's strategy id for FAs of ``kind``, or None when none is set."""
        value = getattr(self, f"strategy_id_{kind}", "")
        return int(value) if value else None


def setting_key(attr):
    return PARAM_PREFIX + attr


def template_placeholders(template, allowed, setting):
    """Return the placeholder names of ``template``, rejecting unknown ones."""
    if not template or not template.strip():
        raise FaValidationError(setting, "the format is empty")
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise FaValidationError(
            setting, f"malformed format {template!r}: {exc}"
        ) from exc
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed:
            raise FaValidationError(
                setting,
                f"unknown placeholder {{{name}}} in {template!r}; "
                f"allowed: {', '.join(f'{{{a}}}' for a in allowed)}",
            )
        if spec or conversion:
            raise FaValidationError(
                setting,
                f"placeholder {{{name}}} in {template!r} must not use a "
                "conversion or format spec",
            )
        names.append(name)
    return names


def check_separators(field, value):
    """Refuse a value holding ".<key>:" of the OpenG2P layout: the payment
    side's patterns have greedy groups and would split the string there."""
    separator = next((key for key in KEY_SEPARATORS if key in value), None)
    if separator:
        raise FaValidationError(
            field,
            f"must not contain {separator!r}: payment systems would read "
            "the financial address wrongly",
        )
    return value


def render(template, values, allowed, setting):
    """Fill ``template``; a placeholder without a value names the missing field."""
    for name in template_placeholders(template, allowed, setting):
        if not values.get(name) and name not in OPTIONAL_PLACEHOLDERS:
            raise FaValidationError(
                name, f"is missing but the format {setting} ({template!r}) needs it"
            )
        check_separators(name, values.get(name) or "")
    return template.format(**{name: values.get(name) or "" for name in allowed})


def normalize_registrant_id(value):
    """The registrant ID as it goes into the SPAR ID.

    Surrounding whitespace is dropped: " R1" and "R1" are one registrant's
    ID, not two SPAR IDs of which one has a space inside.
    """
    return clean_text("id", value)


def format_spar_id(settings, registrant_id):
    """Render the SPAR ID (beneficiary ID) of one registrant."""
    values = {"id": registrant_id, "id_type": settings.id_type}
    spar_id = render(
        settings.id_format, values, ID_PLACEHOLDERS, setting_key("id_format")
    )
    if len(spar_id) > MAX_SPAR_ID_LENGTH:
        raise FaValidationError(
            "id",
            f"makes a SPAR ID of {len(spar_id)} characters; at most "
            f"{MAX_SPAR_ID_LENGTH} are allowed",
        )
    return spar_id


def format_fa(settings, kind, values):
    """Render the FA string; ``values`` must already be normalised."""
    attr, template = settings.fa_template(kind, values)
    fa = render(template, values, FA_PLACEHOLDERS, setting_key(attr))
    # Every part has its own limit, so only a long format gets here.
    if len(fa) > MAX_FA_LENGTH:
        raise FaValidationError(
            setting_key(attr),
            f"makes a financial address of {len(fa)} characters; at most "
            f"{MAX_FA_LENGTH} are allowed",
        )
    return fa


def check_settings(settings):
    """Reject formats with unknown placeholders before they are saved."""
    template_placeholders(settings.id_format, ID_PLACEHOLDERS, setting_key("id_format"))
    if settings.fa_preset not in (*PRESETS, PRESET_CUSTOM):
        raise FaValidationError(
            setting_key("fa_preset"), f"unknown FA format {settings.fa_preset!r}"
        )
    # Checked whatever the preset: "custom" must not start from a broken one.
    for slot in TEMPLATE_SLOTS:
        attr = f"fa_format_{slot}"
        template_placeholders(
            getattr(settings, attr), FA_PLACEHOLDERS, setting_key(attr)
        )
    for kind in KINDS:
        attr = f"strategy_id_{kind}"
        value = getattr(settings, attr)
        if value and not (value.isascii() and value.isdigit() and int(value) > 0):
            raise FaValidationError(
                setting_key(attr),
                f"{value!r} is not a SPAR strategy id (a positive whole number)",
            )
    if settings.phone_region and not phonenumbers.country_code_for_region(
        settings.phone_region.upper()
    ):
        raise FaValidationError(
            setting_key("phone_region"),
            f"{settings.phone_region!r} is not a known ISO country code",
        )


def normalize_iban(value):
    value = clean_text("iban", value)
    check_length("iban", stdnum_iban.compact(value), MAX_LENGTHS["iban"])
    try:
        return stdnum_iban.validate(value)
    except StdnumValidationError as exc:
        raise _value_error("iban", value, "is not a valid IBAN", exc) from exc


def normalize_bic(value):
    value = clean_text("bic", value)
    compact = stdnum_bic.compact(value)
    if len(compact) not in BIC_LENGTHS:
        raise FaValidationError(
            "bic", f"is {len(compact)} characters long; a BIC has 8 or 11"
        )
    try:
        return stdnum_bic.validate(value)
    except StdnumValidationError as exc:
        raise _value_error("bic", value, "is not a valid BIC", exc) from exc


def normalize_account(value):
    value = clean_text("account", value)
    compact = check_length("account", re.sub(r"\s+", "", value), MAX_LENGTHS["account"])
    if not _ACCOUNT_RE.match(compact):
        raise _value_error("account", value, "may only contain letters, digits and '-'")
    return compact


def normalize_code(field, value):
    code = check_length(field, clean_text(field, value), MAX_LENGTHS[field])
    if not _CODE_RE.match(code):
        raise _value_error(
            field, code, "may only contain letters, digits, '.', '_' and '-'"
        )
    return code


def _fill_from_iban(cleaned):
    """Put the bank and branch codes the IBAN's country registers in it into
    ``cleaned`` (schwifty: DE 37040044 and none, FR 20041 and 01005, GB NWBK
    and sort code 601613; none where schwifty knows no structure, the IBAN
    itself being valid). A code typed as well must be the IBAN's, or one of
    the two is a mistake."""
    try:
        parsed = schwifty.IBAN(cleaned["iban"], validate_bban=False)
        codes = {"bank_code": parsed.bank_code, "branch_code": parsed.branch_code}
    except ValueError:
        codes = {}
    for name, code in codes.items():
        given = cleaned.get(name)
        if given and code and given != code:
            raise FaValidationError(
                name,
                f"{given!r} differs from the {code!r} the IBAN names; leave it "
                "empty to use the IBAN's",
            )
        if given or code:
            cleaned[name] = given or code


def normalize_provider_name(value):
    """A wallet provider's name as the payment side reads it."""
    name = clean_text("provider_name", value)
    return check_length("provider_name", name, MAX_LENGTHS["provider_name"])


def normalize_holder_name(value):
    """The account holder's name; not part of the FA string, but sent to
    SPAR and shown to payment systems, so held to a payment's limits."""
    name = clean_text("holder_name", value)
    return check_length("holder_name", name, MAX_LENGTHS["holder_name"])


def normalize_msisdn(value, region=None):
    """Return the E.164 form; national numbers are read in ``region``."""
    value = clean_text("msisdn", value)
    check_length("msisdn", value, MAX_LENGTHS["msisdn"])
    region = (region or "").upper() or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        hint = "" if region else " (start it with + or configure a phone region)"
        raise _value_error("msisdn", value, f"is not a phone number{hint}") from exc
    if not phonenumbers.is_valid_number(number):
        where = f" for region {region}" if region else ""
        raise _value_error("msisdn", value, f"is not a valid phone number{where}")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # phonenumbers accepts some national plans past E.164's limit.
    digits = len(e164) - 1
    if digits > MSISDN_MAX_DIGITS:
        raise FaValidationError(
            "msisdn",
            f"has {digits} digits with the country code; E.164 allows at most "
            f"{MSISDN_MAX_DIGITS}",
        )
    return e164


def normalize_email(value):
    value = check_length("email", clean_text("email", value), MAX_LENGTHS["email"])
    local = value.rpartition("@")[0]
    if len(local) > EMAIL_LOCAL_MAX_LENGTH:
        raise FaValidationError(
            "email",
            f"has {len(local)} characters before the @; at most "
            f"{EMAIL_LOCAL_MAX_LENGTH} are allowed",
        )
    try:
        result = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise _value_error(
            "email", value, "is not a valid e-mail address", exc
        ) from exc
    return result.normalized


_NORMALIZERS = {
    "account": normalize_account,
    "iban": normalize_iban,
    "bic": normalize_bic,
    "bank_code": lambda value: normalize_code("bank_code", value),
    "branch_code": lambda value: normalize_code("branch_code", value),
    "email": normalize_email,
    "provider": lambda value: normalize_code("provider", value),
    "provider_name": normalize_provider_name,
}


_NO_DESTINATION = {
    KIND_BANK: "a bank address needs an account number or an IBAN",
    KIND_MOBILE: "a mobile wallet needs a phone number",
    KIND_EMAIL: "an e-mail wallet needs an e-mail address",
}


def validate_fa(kind, values, region=None):
    """Check and normalise the FA parts of ``kind``; return the cleaned values.

    Blank values are dropped so that callers can pass a form as is.
    """
    if kind not in KINDS:
        raise FaValidationError("kind", f"unknown kind {kind!r}")
    given = {name: value for name, value in values.items() if value}
    for name in given:
        if name not in KIND_PLACEHOLDERS[kind]:
            raise FaValidationError(name, f"does not apply to a {kind} address")
    cleaned = {}
    for name, value in given.items():
        if name == "msisdn":
            cleaned[name] = normalize_msisdn(value, region)
        else:
            cleaned[name] = _NORMALIZERS[name](value)
    destinations = DESTINATION_PLACEHOLDERS[kind]
    if not any(cleaned.get(name) for name in destinations):
        raise FaValidationError(destinations[0], _NO_DESTINATION[kind])
    if cleaned.get("iban"):
        _fill_from_iban(cleaned)
    return cleaned
