"""Bad input on the running system: refused clearly, nothing lost, nothing
leaked to the log, and SPAR still resolves what was validated."""

import pytest
import sysharness as h

DRAIN_TIMEOUT = 120


def _log_size(system):
    log = system.stack.logs / f"{system.name}.log"
    return log.stat().st_size if log.is_file() else 0


def _log_since(system, offset):
    log = system.stack.logs / f"{system.name}.log"
    with log.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode(errors="replace")


def test_rejected_fa_is_quoted_to_the_user_not_logged_and_spar_keeps_the_old(
    system, admin, fa_manager, spar, proxy
):
    (partner_id,) = h.create_registrants(admin, 1, "Rejected")
    fa_manager("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700300101"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    offset = _log_size(system)
    with pytest.raises(h.RpcError) as info:
        fa_manager(
            "g2p.payment.fa",
            "create",
            {
                "partner_id": partner_id,
                "kind": "bank",
                "account_number": "ACC@55443322",
                "bic": "DEUTDEFF",
            },
        )
    assert info.value.message == (
        "Account Number: 'ACC@55443322' may only contain letters, digits and '-'"
    )
    logged = _log_since(system, offset)
    assert "odoo.http: Account Number: '*****322' may only contain" in logged
    assert "55443322" not in logged
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert spar.resolve([spar_id])[spar_id] == fa == "phone:+254700300101"


def test_forged_fa_string_never_reaches_spar(admin, fa_manager, spar, proxy):
    (partner_id,) = h.create_registrants(admin, 1, "Forged")
    vals = dict(h.fa_vals(partner_id, "+254700300201"), fa_string="phone:+1")
    fa_id = fa_manager("g2p.payment.fa", "create", vals)
    with pytest.raises(h.RpcError, match="cannot be edited"):
        fa_manager("g2p.payment.fa", "write", [fa_id], {"fa_string": "phone:+1"})
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert spar.resolve([spar_id])[spar_id] == fa == "phone:+254700300201"


def test_archived_registrant_gets_no_fa_back_into_spar(admin, fa_manager, spar, proxy):
    (partner_id,) = h.create_registrants(admin, 1, "Archived")
    fa_manager("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700300301"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    admin("res.partner", "write", [partner_id], {"active": False})
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    with pytest.raises(h.RpcError, match="Registrant: Archived 0000 is archived"):
        fa_manager("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700300302"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    (spar_id,) = [
        p["spar_id"]
        for p in admin(
            "res.partner",
            "read",
            [partner_id],
            ["spar_id"],
            context={"active_test": False},
        )
    ]
    assert spar.resolve([spar_id])[spar_id] is None


def test_registrant_id_is_stripped_before_it_reaches_spar(
    admin, fa_manager, spar, proxy
):
    (partner_id,) = admin(
        "res.partner",
        "create",
        [{"name": "Stripped", "is_registrant": True, "registrant_ref": " SYS-R1\t"}],
    )
    with pytest.raises(h.RpcError, match="share the SPAR ID token:SYS-R1@"):
        admin(
            "res.partner",
            "create",
            [{"name": "Twin", "is_registrant": True, "registrant_ref": "SYS-R1"}],
        )
    fa_manager("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700300401"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    assert spar.resolve(["token:SYS-R1@REGISTRY_ID"]) == {
        "token:SYS-R1@REGISTRY_ID": "phone:+254700300401"
    }
