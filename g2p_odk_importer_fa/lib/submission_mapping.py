"""Turn an ODK submission (as Central's OData feed returns it) into values.

The mapping is a dict ``target -> form field path``; a path names a field
inside groups with ``/`` (``payment/iban``), as in the XLSForm. Validation
of FA values is deliberately not done here: the FA model validates every
channel the same way. This module only refuses what cannot become a
registrant at all (no name, an unknown kind, a payment detail without a
kind, a mapped field the form does not have).

A submission without a payment destination (the kind ``none``, or a kind
whose number, account or address is empty) maps to *no FA*: an enumerator
who removes the payment number in an edit means the registrant is no longer
paid there, so the importer removes the current FA rather than refusing the
edit and keeping a destination the registrant gave up.
"""

import importlib
from dataclasses import dataclass, field

from . import odk_client

# The FA vocabulary and masking live in the base addon. Odoo loads this
# module as odoo.addons.g2p_odk_importer_fa..., the pytest suite as
# g2p_odk_importer_fa...: the base addon is found under the same prefix.
_ADDONS_PACKAGE = __name__[: __name__.index("g2p_odk_importer_fa")]
fa_format = importlib.import_module(f"{_ADDONS_PACKAGE}g2p_spar_fa_base.lib.fa_format")
masking = importlib.import_module(f"{_ADDONS_PACKAGE}g2p_spar_fa_base.lib.masking")
fa_vocabulary = importlib.import_module(
    f"{_ADDONS_PACKAGE}g2p_spar_fa_base.lib.fa_vocabulary"
)

# Registrant targets -> res.partner fields. "phone" is the CONTACT phone; it
# is never used as a payment number.
REGISTRANT_TARGETS = ("name", "first_name", "last_name", "phone", "email")
# FA targets -> g2p.payment.fa fields: the FA's own values under their field
# names, the kind as "fa_kind" and the bank by name ("bank", looked up into
# bank_id).
FA_TARGETS = {
    "fa_kind": "kind",
    **{
        fname: fname
        for fname in fa_vocabulary.FA_VALUE_FIELDS
        if fname not in ("kind", "bank_id")
    },
    "bank": "bank",
}
TARGETS = (*REGISTRANT_TARGETS, *FA_TARGETS)

DEFAULT_MAPPING = {
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "contact_phone",
    "fa_kind": "payment/fa_kind",
    "payment_msisdn": "payment/payment_msisdn",
    "provider_code": "payment/wallet_provider",
    "bic": "payment/bic",
    "account_number": "payment/account_number",
    "iban": "payment/iban",
    "payment_email": "payment/payment_email",
}

# FA targets whose values are personal payment destinations: never shown in
# clear in an error.
SECRET_TARGETS = fa_vocabulary.SECRET_FIELDS
# Per kind, the targets of which one must be given for an FA to exist.
DESTINATION_TARGETS = fa_vocabulary.DESTINATION_FIELDS
# Kind values that say the registrant has no payment FA (for now).
NO_FA_KINDS = ("none", "no_fa", "no_payment")

# Choice values forms commonly use for the payment kind, besides its name.
KIND_ALIASES = {
    **{kind: kind for kind in fa_vocabulary.KINDS},
    "bank_account": fa_vocabulary.KIND_BANK,
    "iban": fa_vocabulary.KIND_BANK,
    "mobile_money": fa_vocabulary.KIND_MOBILE,
    "mobile_wallet": fa_vocabulary.KIND_MOBILE,
    "momo": fa_vocabulary.KIND_MOBILE,
    "email_wallet": fa_vocabulary.KIND_EMAIL,
}


class MappingError(ValueError):
    """The submission cannot be imported as it is; ``target`` names the part."""

    def __init__(self, target, message):
        super().__init__(f"{target}: {message}")
        self.target = target
        self.message = message


@dataclass
class MappedSubmission:
    """A submission's values; ``fa`` is None when it gives no payment FA."""

    instance_id: str
    submission_date: str | None
    updated_at: str | None
    registrant: dict = field(default_factory=dict)
    fa: dict | None = field(default_factory=dict)
    bank: str | None = None
    # Text of the extra targets the mapping names, for the extension.
    extra: dict = field(default_factory=dict)

    @property
    def version(self):
        return self.updated_at or self.submission_date


def check_mapping(mapping, extra_targets=()):
    """Refuse unknown targets and blank paths before a mapping is saved.

    ``extra_targets`` are the targets an extension of the importer adds
    (their values land in :attr:`MappedSubmission.extra`).
    """
    if not isinstance(mapping, dict):
        raise MappingError("mapping", "must be a JSON object of target: field path")
    allowed = (*TARGETS, *extra_targets)
    for target, path in mapping.items():
        if target not in allowed:
            raise MappingError(
                target, f"unknown target; allowed: {', '.join(sorted(allowed))}"
            )
        if not isinstance(path, str) or not path.strip("/ "):
            raise MappingError(target, "needs a form field path like 'group/field'")
    if "fa_kind" not in mapping:
        raise MappingError("fa_kind", "the payment kind must be mapped")
    if not ({"name", "first_name", "last_name"} & set(mapping)):
        raise MappingError("name", "map name, first_name or last_name")


# get_path's answer for a field the submission does not have at all.
MISSING = object()


def get_path(data, path):
    """The value at ``group/field`` in a submission (None when empty), or
    :data:`MISSING` when the submission has no such field."""
    node = data
    for part in path.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value).strip()


def redact(text, data, mapping):
    """``text`` with the submission's payment destinations masked.

    Error messages (the FA model's included) may quote the rejected value;
    whatever they quote of ``data`` is masked as the FA model masks it
    before the text is stored.
    """
    for target in SECRET_TARGETS:
        value = get_path(data, mapping[target]) if target in mapping else MISSING
        value = "" if value is MISSING else _text(value)
        # Shorter ones are no destination; masking them would mangle the text.
        if len(value) >= 4:
            text = text.replace(value, masking.mask_value(value))
    return text


def _values(data, mapping):
    """The text of every mapped field; a field the form does not have is a
    mapping error, never an empty value (which could remove an FA)."""
    values = {}
    for target, path in mapping.items():
        value = get_path(data, path)
        if value is MISSING:
            raise MappingError(
                target,
                f"the submission has no field {path!r}; check the field mapping",
            )
        values[target] = _text(value)
    return values


def _fa_values(values, kind):
    """The FA's values, or None when the submission names no destination."""
    if kind is None or not any(values.get(t) for t in DESTINATION_TARGETS[kind]):
        return None
    fa = {"kind": kind}
    for target, fname in FA_TARGETS.items():
        if target not in ("fa_kind", "bank") and values.get(target):
            fa[fname] = values[target]
    return fa


def map_submission(data, mapping, extra_targets=()):
    """Apply ``mapping`` to one submission; raise :class:`MappingError`."""
    instance_id = data.get("__id")
    if not instance_id:
        raise MappingError("__id", "the submission has no instanceID")
    system = data.get("__system") or {}
    values = _values(data, mapping)
    result = MappedSubmission(
        instance_id=instance_id,
        submission_date=system.get("submissionDate"),
        updated_at=system.get("updatedAt"),
    )
    name = values.get("name") or " ".join(
        v for v in (values.get("first_name"), values.get("last_name")) if v
    )
    if not name:
        raise MappingError("name", "the registrant's name is missing")
    result.registrant["name"] = name
    for target in ("phone", "email"):
        if target in mapping:
            result.registrant[target] = values.get(target) or False
    raw_kind = values.get("fa_kind", "")
    kind = KIND_ALIASES.get(raw_kind.lower())
    if not raw_kind:
        details = [t for t in FA_TARGETS if t != "fa_kind" and values.get(t)]
        if details:
            raise MappingError(
                "fa_kind",
                f"the payment kind is missing (the submission gives "
                f"{', '.join(details)})",
            )
    elif not kind and raw_kind.lower() not in NO_FA_KINDS:
        raise MappingError(
            "fa_kind",
            f"unknown payment kind {raw_kind!r}; "
            f"expected one of {', '.join(sorted((*KIND_ALIASES, *NO_FA_KINDS)))}",
        )
    result.fa = _fa_values(values, kind)
    result.bank = (result.fa is not None and values.get("bank")) or None
    result.extra = {t: values[t] for t in extra_targets if t in values}
    return result


def version_is_newer(version, seen):
    """True when ``version`` is a newer timestamp than ``seen`` (or unseen)."""
    if not seen:
        return True
    return odk_client.parse_timestamp(version) > odk_client.parse_timestamp(seen)
