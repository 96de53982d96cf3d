"""OpenG2P's conventions our SPAR mapping must agree with; no Odoo here.

Kept apart so that the one formula we must not drift from (how OpenG2P names
a beneficiary toward G2P Bridge) is written once and tested without a
database.
"""

NAME_DECRYPTED = "decrypted"
NAME_NONE = "none"
ENCRYPTED_NAME_POLICIES = (NAME_DECRYPTED, NAME_NONE)


def g2p_connect_payee_fa(prefix, reg_id_value, suffix):
    """The beneficiary id OpenG2P's G2P Connect payment manager sends to G2P
    Bridge for payee ID type "Registrant ID" (openg2p-program 17.0,
    ``g2p_payment_g2p_connect`` ``_get_payee_fa``), which G2P Bridge resolves
    in SPAR: prefix + the value of the configured ``reg_ids`` entry + suffix,
    with empty parts left out."""
    return f"{prefix or ''}{reg_id_value}{suffix or ''}"


def name_for_spar(name, placeholder, policy, decrypt):
    """The name SPAR receives for a registrant whose ``name`` may be OpenG2P's
    registry encryption placeholder.

    A placeholder is never sent: SPAR would show it to payment systems as the
    beneficiary's name. ``decrypt`` is called only when the real name is
    wanted, and returns it (or nothing)."""
    if not placeholder or name != placeholder:
        return name
    if policy == NAME_DECRYPTED:
        return decrypt() or False
    return False
