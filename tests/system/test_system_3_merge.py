"""Duplicate registrants merged with Odoo's contact merge on the running
system, while the job runner pushes their FAs: SPAR ends up mapping the
survivor only, and a merge never takes rows from a job sending them.
"""

import pytest
import sysharness as h

DRAIN_TIMEOUT = 120
MERGER_LOGIN = ("fa.merger.system", "fa-merger-pw-1")


@pytest.fixture(scope="module")
def merger(system, admin):
    """A department user allowed to merge contacts and to manage FAs."""
    login, password = MERGER_LOGIN
    groups = [
        admin.ref(xmlid)
        for xmlid in (
            "base.group_user",
            "base.group_partner_manager",
            "g2p_spar_fa_base.group_fa_manager",
        )
    ]
    admin(
        "res.users",
        "create",
        {
            "name": "Department Merger",
            "login": login,
            "password": password,
            # Odoo signs the merge note on the survivor with it.
            "email": "merger@example.org",
            "groups_id": [(6, 0, groups)],
        },
    )
    return system.login(login, password)


def phone_fa(drill, registrant, change):
    return f"phone:{h.msisdn(drill, registrant, change)}"


def merge(rpc, keep, gone):
    """What the Merge action of the contacts list does."""
    context = {"active_model": "res.partner", "active_ids": [keep, gone]}
    wizard = rpc(
        "base.partner.merge.automatic.wizard",
        "create",
        {"dst_partner_id": keep},
        context=context,
    )
    rpc("base.partner.merge.automatic.wizard", "action_merge", [wizard])


def test_merged_duplicate_leaves_spar_mapping_the_survivor_only(
    admin, merger, spar, proxy
):
    keep, gone = h.create_registrants(admin, 2, "Merged duplicate")
    h.change_fas(merger, [keep, gone], drill=40, change=1)
    h.wait_drained(admin, [keep, gone], DRAIN_TIMEOUT)
    spar_ids = {p: sid for p, (sid, _fa) in h.current_fas(admin, [keep, gone]).items()}
    assert all(spar.resolve(spar_ids.values()).values())

    merge(merger, keep, gone)
    h.wait_drained(admin, [keep], DRAIN_TIMEOUT)

    assert not admin("res.partner", "search", [("id", "=", gone)])
    held = spar.resolve(spar_ids.values())
    assert held == {spar_ids[keep]: phone_fa(40, 0, 1), spar_ids[gone]: None}
    assert h.fa_history(admin, [keep])[keep] == [
        phone_fa(40, 0, 1),
        phone_fa(40, 1, 1),
    ]
    rows = h.outbox_rows(admin, [keep])
    assert [(r["spar_id"], r["operation"], r["state"]) for r in rows] == [
        (spar_ids[keep], "link", "done"),
        (spar_ids[gone], "link", "done"),
        (spar_ids[gone], "unlink", "done"),
    ]
    assert [r["sequence"] for r in rows] == [1, 2, 3]


def test_merge_is_refused_while_a_job_sends_the_duplicate(admin, merger, spar, proxy):
    keep, gone = h.create_registrants(admin, 2, "Merged while sending")
    h.change_fas(merger, [keep], drill=41, change=1)
    h.wait_drained(admin, [keep], DRAIN_TIMEOUT)
    proxy.delay = 4.0  # SPAR answers slowly: the row stays 'sending'
    h.change_fas(merger, [gone], drill=41, change=2)
    h.wait_until(
        lambda: [r["state"] for r in h.outbox_rows(admin, [gone])] == ["sending"],
        30,
        what="the duplicate's row being sent",
    )

    with pytest.raises(h.RpcError, match="being sent to SPAR"):
        merge(merger, keep, gone)
    proxy.delay = 0.0
    h.wait_drained(admin, [keep, gone], DRAIN_TIMEOUT)
    assert len(h.outbox_rows(admin, [gone])) == 1

    gone_spar_id = h.current_fas(admin, [gone])[gone][0]
    merge(merger, keep, gone)
    h.wait_drained(admin, [keep], DRAIN_TIMEOUT)
    assert spar.resolve([gone_spar_id]) == {gone_spar_id: None}
