"""SPAR ID and financial address (FA) rules, kept free of Odoo imports.

The registry, a sync worker and the unit tests must all agree on how an FA
is validated, rendered and masked, so the rules live here once and the Odoo
models only translate :class:`FaValidationError` into user-facing errors.
"""

import dataclasses
import re
import string

import email_validator
import phonenumbers
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

PARAM_PREFIX = "g2p_spar_fa."

KIND_BANK = "bank"
KIND_MOBILE = "mobile"
KIND_EMAIL = "email"
KINDS = (KIND_BANK, KIND_MOBILE, KIND_EMAIL)

ID_PLACEHOLDERS = ("id", "id_type")
FA_PLACEHOLDERS = (
    "account",
    "iban",
    "bic",
    "bank_code",
    "branch_code",
    "msisdn",
    "email",
    "provider",
)
# Values that only make sense for one kind; giving them for another kind is
# almost certainly a data-entry mistake, so it is rejected rather than ignored.
KIND_PLACEHOLDERS = {
    KIND_BANK: ("account", "iban", "bic", "bank_code", "branch_code"),
    KIND_MOBILE: ("msisdn", "provider"),
    KIND_EMAIL: ("email", "provider"),
}

# ":" and "@" delimit the parts of an FA string, so free-form codes must not
# contain them (nor whitespace) or the string could not be parsed back.
_CODE_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9-]+$")


class FaValidationError(ValueError):
    """A value or setting is unusable; ``field`` names the culprit.

    ``field`` is either one of :data:`FA_PLACEHOLDERS` / :data:`ID_PLACEHOLDERS`
    or a configuration parameter key, so callers can map it to a label.
    """

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class FaSettings:
    """Formatting settings; attribute ``x`` is stored under ``g2p_spar_fa.x``."""

    id_format: str = "token:{id}@{id_type}"
    id_type: str = "REGISTRY_ID"
    fa_format_bank: str = "account_no:{account}@{bic}"
    fa_format_iban: str = "iban:{iban}@{bic}"
    fa_format_mobile: str = "phone:{msisdn}"
    fa_format_email: str = "email:{email}"
    phone_region: str = ""

    @classmethod
    def from_params(cls, get_param):
        """Build settings from a ``key -> value`` getter, defaulting blanks."""
        values = {}
        for field in dataclasses.fields(cls):
            value = get_param(setting_key(field.name))
            values[field.name] = (value or "").strip() or field.default
        return cls(**values)

    def fa_template(self, kind, values):
        """Return ``(setting attribute, template)`` used for an FA of ``kind``."""
        if kind == KIND_BANK:
            attr = "fa_format_iban" if values.get("iban") else "fa_format_bank"
        elif kind in KINDS:
            attr = f"fa_format_{kind}"
        else:
            raise FaValidationError("kind", f"unknown kind {kind!r}")
        return attr, getattr(self, attr)


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


def render(template, values, allowed, setting):
    """Fill ``template``; a placeholder without a value names the missing field."""
    for name in template_placeholders(template, allowed, setting):
        if not values.get(name):
            raise FaValidationError(
                name, f"is missing but the format {setting} ({template!r}) needs it"
            )
    return template.format(**{name: values.get(name) or "" for name in allowed})


def format_spar_id(settings, registrant_id):
    """Render the SPAR ID (beneficiary ID) of one registrant."""
    values = {"id": registrant_id, "id_type": settings.id_type}
    return render(settings.id_format, values, ID_PLACEHOLDERS, setting_key("id_format"))


def format_fa(settings, kind, values):
    """Render the FA string; ``values`` must already be normalised."""
    attr, template = settings.fa_template(kind, values)
    return render(template, values, FA_PLACEHOLDERS, setting_key(attr))


def mask_fa(settings, kind, values):
    """Render the FA string with the personal parts hidden, for low-trust users."""
    return format_fa(settings, kind, mask_values(values))


def check_settings(settings):
    """Reject formats with unknown placeholders before they are saved."""
    template_placeholders(settings.id_format, ID_PLACEHOLDERS, setting_key("id_format"))
    for kind in ("bank", "iban", "mobile", "email"):
        attr = f"fa_format_{kind}"
        template_placeholders(
            getattr(settings, attr), FA_PLACEHOLDERS, setting_key(attr)
        )
    if settings.phone_region and not phonenumbers.country_code_for_region(
        settings.phone_region.upper()
    ):
        raise FaValidationError(
            setting_key("phone_region"),
            f"{settings.phone_region!r} is not a known ISO country code",
        )


def normalize_iban(value):
    try:
        return stdnum_iban.validate(value)
    except StdnumValidationError as exc:
        raise FaValidationError(
            "iban", f"{value!r} is not a valid IBAN ({exc})"
        ) from exc


def normalize_bic(value):
    try:
        return stdnum_bic.validate(value)
    except StdnumValidationError as exc:
        raise FaValidationError("bic", f"{value!r} is not a valid BIC ({exc})") from exc


def normalize_account(value):
    compact = re.sub(r"\s+", "", value)
    if not _ACCOUNT_RE.match(compact):
        raise FaValidationError(
            "account", f"{value!r} may only contain letters, digits and '-'"
        )
    return compact


def normalize_code(field, value):
    code = value.strip()
    if not _CODE_RE.match(code):
        raise FaValidationError(
            field, f"{value!r} may only contain letters, digits, '.', '_' and '-'"
        )
    return code


def normalize_msisdn(value, region=None):
    """Return the E.164 form; national numbers are read in ``region``."""
    region = (region or "").upper() or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        hint = "" if region else " (start it with + or configure a phone region)"
        raise FaValidationError(
            "msisdn", f"{value!r} is not a phone number{hint}"
        ) from exc
    if not phonenumbers.is_valid_number(number):
        where = f" for region {region}" if region else ""
        raise FaValidationError(
            "msisdn", f"{value!r} is not a valid phone number{where}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value):
    try:
        result = email_validator.validate_email(
            value.strip(), check_deliverability=False
        )
    except email_validator.EmailNotValidError as exc:
        raise FaValidationError(
            "email", f"{value!r} is not a valid e-mail address ({exc})"
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
    if kind == KIND_BANK and not (cleaned.get("account") or cleaned.get("iban")):
        raise FaValidationError(
            "account", "a bank address needs an account number or an IBAN"
        )
    if kind == KIND_MOBILE and not cleaned.get("msisdn"):
        raise FaValidationError("msisdn", "a mobile wallet needs a phone number")
    if kind == KIND_EMAIL and not cleaned.get("email"):
        raise FaValidationError("email", "an e-mail wallet needs an e-mail address")
    return cleaned


def _mask_middle(value, head, tail):
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_account(value):
    """Keep only the last four characters, as printed on bank statements."""
    if len(value) <= 4:
        return "*" * len(value)
    return "****" + value[-4:]


def mask_msisdn(value):
    return _mask_middle(value, 5, 3)


def mask_email(value):
    local, _sep, domain = value.rpartition("@")
    if not local:
        return _mask_middle(value, 1, 0)
    return f"{local[0]}***@{domain}"


_MASKERS = {
    "account": mask_account,
    "iban": mask_account,
    "msisdn": mask_msisdn,
    "email": mask_email,
}


def mask_values(values):
    """Hide the parts that identify a person; routing codes stay readable."""
    return {
        name: _MASKERS[name](value) if value and name in _MASKERS else value
        for name, value in values.items()
    }
