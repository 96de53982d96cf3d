"""Turn an ODK submission (as Central's OData feed returns it) into values.

The mapping is a dict ``target -> form field path``; a path names a field
inside groups with ``/`` (``payment/iban``), as in the XLSForm. Validation
of FA values is deliberately not done here: the FA model validates every
channel the same way. This module only refuses what cannot become a
registrant at all (no name, no payment kind, an unknown kind).
"""

from dataclasses import dataclass, field

from . import odk_client

# Registrant targets -> res.partner fields. "phone" is the CONTACT phone; it
# is never used as a payment number.
REGISTRANT_TARGETS = ("name", "first_name", "last_name", "phone", "email")
# FA targets -> g2p.payment.fa fields ("bank" is looked up into bank_id).
FA_TARGETS = {
    "fa_kind": "kind",
    "account_number": "account_number",
    "iban": "iban",
    "bic": "bic",
    "bank": "bank",
    "bank_code": "bank_code",
    "branch_code": "branch_code",
    "holder_name": "holder_name",
    "payment_msisdn": "payment_msisdn",
    "provider_code": "provider_code",
    "payment_email": "payment_email",
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

# Choice values forms commonly use for the payment kind.
KIND_ALIASES = {
    "bank": "bank",
    "bank_account": "bank",
    "iban": "bank",
    "mobile": "mobile",
    "mobile_money": "mobile",
    "mobile_wallet": "mobile",
    "momo": "mobile",
    "email": "email",
    "email_wallet": "email",
}


class MappingError(ValueError):
    """The submission cannot be imported as it is; ``target`` names the part."""

    def __init__(self, target, message):
        super().__init__(f"{target}: {message}")
        self.target = target
        self.message = message


@dataclass
class MappedSubmission:
    instance_id: str
    submission_date: str | None
    updated_at: str | None
    registrant: dict = field(default_factory=dict)
    fa: dict = field(default_factory=dict)
    bank: str | None = None

    @property
    def version(self):
        return self.updated_at or self.submission_date


def check_mapping(mapping):
    """Refuse unknown targets and blank paths before a mapping is saved."""
    if not isinstance(mapping, dict):
        raise MappingError("mapping", "must be a JSON object of target: field path")
    for target, path in mapping.items():
        if target not in TARGETS:
            raise MappingError(
                target, f"unknown target; allowed: {', '.join(sorted(TARGETS))}"
            )
        if not isinstance(path, str) or not path.strip("/ "):
            raise MappingError(target, "needs a form field path like 'group/field'")
    if "fa_kind" not in mapping:
        raise MappingError("fa_kind", "the payment kind must be mapped")
    if not ({"name", "first_name", "last_name"} & set(mapping)):
        raise MappingError("name", "map name, first_name or last_name")


def get_path(data, path):
    """The value at ``group/field`` in a submission, or None."""
    node = data
    for part in path.strip("/").split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value).strip()


def map_submission(data, mapping):
    """Apply ``mapping`` to one submission; raise :class:`MappingError`."""
    instance_id = data.get("__id")
    if not instance_id:
        raise MappingError("__id", "the submission has no instanceID")
    system = data.get("__system") or {}
    values = {target: _text(get_path(data, path)) for target, path in mapping.items()}
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
    if not raw_kind:
        raise MappingError("fa_kind", "the payment kind is missing")
    kind = KIND_ALIASES.get(raw_kind.lower())
    if not kind:
        raise MappingError(
            "fa_kind",
            f"unknown payment kind {raw_kind!r}; "
            f"expected one of {', '.join(sorted(KIND_ALIASES))}",
        )
    result.fa["kind"] = kind
    for target, fname in FA_TARGETS.items():
        if target in ("fa_kind", "bank") or not values.get(target):
            continue
        result.fa[fname] = values[target]
    result.bank = values.get("bank") or None
    return result


def version_is_newer(version, seen):
    """True when ``version`` is a newer timestamp than ``seen`` (or unseen)."""
    if not seen:
        return True
    return odk_client.parse_timestamp(version) > odk_client.parse_timestamp(seen)
