"""The FA string layouts a deployment chooses from, by name.

Plain data, so that the settings screen, the migration of old databases and
the tests name the same presets.
"""

from .masking import OPENG2P_KEYS

# "OpenG2P strategies" is exactly the layout of OpenG2P's published SPAR
# strategies and of G2P Bridge's deconstruct patterns (key:value pairs joined
# by ".", ending in the FA type), so the payment side finds account, bank,
# branch, wallet and provider in every FA. An IBAN goes into the
# account_number slot whole (fa_format.validate_fa adds the bank and branch
# codes it holds). "G2P Connect (short)" is the style this suite used first;
# "custom" reads the four templates of the settings.
PRESET_OPENG2P = "openg2p"
PRESET_SHORT = "g2p_connect_short"
PRESET_CUSTOM = "custom"
PRESET_LABELS = (
    (PRESET_OPENG2P, "OpenG2P strategies"),
    (PRESET_SHORT, "G2P Connect (short)"),
    (PRESET_CUSTOM, "Custom templates"),
)
_OPENG2P_BANK = (
    "account_number:{%s}.branch_code:{branch_code}.bank_code:{bank_code}"
    ".mobile_number:.email_address:.fa_type:BANK_ACCOUNT"
)
# The template slots: an FA of kind bank uses "iban" when it has an IBAN.
TEMPLATE_SLOTS = ("bank", "iban", "mobile", "email")
PRESETS = {
    PRESET_OPENG2P: {
        "bank": _OPENG2P_BANK % "account",
        "iban": _OPENG2P_BANK % "iban",
        "mobile": "mobile_number:{msisdn}.wallet_provider_name:{provider_name}"
        ".wallet_provider_code:{provider}.fa_type:MOBILE_WALLET",
        "email": "email_address:{email}.wallet_provider_name:{provider_name}"
        ".wallet_provider_code:{provider}.fa_type:EMAIL_WALLET",
    },
    PRESET_SHORT: {
        "bank": "account_no:{account}@{bic}",
        "iban": "iban:{iban}@{bic}",
        "mobile": "phone:{msisdn}",
        "email": "email:{email}",
    },
}
# Placeholders a template may leave empty: many countries have no branch
# codes (an IBAN of DE or NL names none), and G2P Bridge reads an empty one.
OPTIONAL_PLACEHOLDERS = ("branch_code",)
# A value holding ".<key>:" would make the string ambiguous for the
# deconstruct patterns, whose groups are greedy: refused in every preset.
KEY_SEPARATORS = tuple(f".{key}:" for key in OPENG2P_KEYS)


def preset_for_upgrade(stored_templates, has_fas):
    """The preset a database upgraded from before the presets keeps.

    ``stored_templates`` maps each slot to the template stored in its
    settings (None when absent). A database that stored none and holds no FA
    starts afresh with OpenG2P strategies. Otherwise its FAs and payment
    side speak what its templates say: the short preset when they are the
    short templates (a blank one meant the short default), else "custom",
    which keeps reading them.
    """
    stored = {
        slot: template.strip()
        for slot, template in stored_templates.items()
        if template and template.strip()
    }
    if not stored and not has_fas:
        return PRESET_OPENG2P
    short = PRESETS[PRESET_SHORT]
    if all(template == short[slot] for slot, template in stored.items()):
        return PRESET_SHORT
    return PRESET_CUSTOM
