"""Whether SPAR holds what we expect for one SPAR ID, and if not, how it differs.

Payment systems pay whatever SPAR resolves. The reconciliation run, the live
"Check in SPAR" and the read-back of a pushed row all ask this one question;
deciding it here keeps them from ever disagreeing on what "in sync" means.
"""

__all__ = ["DETAILS", "DIFFERENT", "MISSING", "ORPHAN", "drift_kind"]

#: We expect a mapping; SPAR resolves none.
MISSING = "missing"
#: SPAR resolves another FA than ours.
DIFFERENT = "different"
#: SPAR resolves our FA with other details (name, payment phone, FA kind).
DETAILS = "details"
#: We expect no mapping (FA removed, registrant archived); SPAR still has one.
ORPHAN = "orphan"


def drift_kind(expected, held):
    """None when SPAR holds exactly what we expect, else the kind of drift.

    ``expected`` and ``held`` are ``(FA, additional_info)`` snapshots, or None
    for "no mapping". additional_info carries the FA kind and a digest of name
    and phone (see :func:`.spar_push.snapshot_details`), so comparing it tells
    a stale name or phone from a wrong FA.
    """
    if expected == held:
        return None
    if expected is None:
        return ORPHAN
    if held is None:
        return MISSING
    return DIFFERENT if expected[0] != held[0] else DETAILS
