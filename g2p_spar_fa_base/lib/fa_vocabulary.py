"""The FA vocabulary: the kinds of payment address and the values of each.

The FA model, its forms, the amendment wizard, the portal, the JSON API and
the ODK mapping all speak of the same values; they derive their lists from
here, so that a new kind or value is added in one place. Names are the
placeholders of the FA formats (``account``, ``msisdn``...) and the fields
of ``g2p.payment.fa`` that hold them (``account_number``, ``payment_msisdn``...).
"""

KIND_BANK = "bank"
KIND_MOBILE = "mobile"
KIND_EMAIL = "email"
KIND_LABELS = (
    (KIND_BANK, "Bank Account"),
    (KIND_MOBILE, "Mobile Wallet"),
    (KIND_EMAIL, "E-mail Wallet"),
)
KINDS = tuple(kind for kind, _label in KIND_LABELS)

# FA format placeholder -> field of g2p.payment.fa holding its value.
PLACEHOLDER_FIELDS = {
    "account": "account_number",
    "iban": "iban",
    "bic": "bic",
    "bank_code": "bank_code",
    "branch_code": "branch_code",
    "msisdn": "payment_msisdn",
    "email": "payment_email",
    "provider": "provider_code",
    "provider_name": "provider_name",
}
FA_PLACEHOLDERS = tuple(PLACEHOLDER_FIELDS)
# Placeholders no channel sets: the FA model takes them from a record an
# administrator keeps (the wallet provider's name), so that the name in
# every FA string is the one the payment side knows.
DERIVED_PLACEHOLDERS = ("provider_name",)


def field_of(name):
    """The FA field an error's ``name`` refers to: placeholders are mapped
    to their field, other names (``holder_name``, ``kind``) are fields."""
    return PLACEHOLDER_FIELDS.get(name, name)


# Values that only make sense for one kind; giving them for another kind is
# almost certainly a data-entry mistake, so it is rejected rather than ignored.
KIND_PLACEHOLDERS = {
    KIND_BANK: ("account", "iban", "bic", "bank_code", "branch_code"),
    KIND_MOBILE: ("msisdn", "provider", "provider_name"),
    KIND_EMAIL: ("email", "provider", "provider_name"),
}
# Per kind, the placeholders of which one must be given for an FA to exist:
# without one there is nowhere to pay.
DESTINATION_PLACEHOLDERS = {
    KIND_BANK: ("account", "iban"),
    KIND_MOBILE: ("msisdn",),
    KIND_EMAIL: ("email",),
}
# Placeholders whose values identify a person: shown masked to low-trust
# users and never in clear in an error that is logged or stored.
SECRET_PLACEHOLDERS = ("account", "iban", "msisdn", "email")

# Values of an FA that are not in its string: a bank account's bank (its BIC
# is the bank's when not given) and holder.
KIND_EXTRA_FIELDS = {KIND_BANK: ("bank_id", "holder_name")}
# The fields a channel may set for an FA of each kind; the others are ignored.
KIND_FIELDS = {
    kind: (
        *(
            PLACEHOLDER_FIELDS[name]
            for name in KIND_PLACEHOLDERS[kind]
            if name not in DERIVED_PLACEHOLDERS
        ),
        *KIND_EXTRA_FIELDS.get(kind, ()),
    )
    for kind in KINDS
}
# The values that make an FA what it is: two FAs equal on these are the same.
FA_VALUE_FIELDS = (
    "kind",
    "bank_id",
    "holder_name",
    *(
        fname
        for name, fname in PLACEHOLDER_FIELDS.items()
        if name not in DERIVED_PLACEHOLDERS
    ),
)
SECRET_FIELDS = tuple(PLACEHOLDER_FIELDS[name] for name in SECRET_PLACEHOLDERS)
DESTINATION_FIELDS = {
    kind: tuple(PLACEHOLDER_FIELDS[name] for name in names)
    for kind, names in DESTINATION_PLACEHOLDERS.items()
}
