"""Users at work on the running system, and what SPAR then resolves.

Each test acts as a user would (JSON-RPC of the web client, the portal's
HTTP forms, the ODK import button) and checks SPAR with signed resolve calls
made directly to the mapper.
"""

import re

import pytest
import sysharness as h

DRAIN_TIMEOUT = 120


def assert_consistent(admin, spar, proxy, partner_ids, **kwargs):
    problems = h.check_consistency(admin, spar, proxy, partner_ids, **kwargs)
    assert not problems, h.summarize(problems)


def test_department_user_amends_an_fa_and_spar_resolves_the_new_one(
    admin, fa_manager, spar, proxy
):
    (partner_id,) = h.create_registrants(admin, 1, "Amended")
    first = fa_manager(
        "g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700100101")
    )
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert spar.resolve([spar_id])[spar_id] == fa == "phone:+254700100101"

    # The department user records the corrected number in the amendment
    # wizard the Payment tab opens: a new FA replaces the old one, which is
    # kept archived.
    action = fa_manager("res.partner", "action_amend_payment_fa", [partner_id])
    wizard = fa_manager(
        "g2p.fa.amendment",
        "create",
        {
            **h.fa_vals(partner_id, "+254700100202", "AIRTEL"),
            "reason": "Corrected number",
            "request_ref": "REQ-SYS-1",
        },
        context=action["context"],
    )
    fa_manager("g2p.fa.amendment", "action_confirm", [wizard])
    (second,) = fa_manager(
        "g2p.payment.fa", "search", [("partner_id", "=", partner_id)]
    )
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    assert spar.resolve([spar_id])[spar_id] == "phone:+254700100202"
    old, new = fa_manager(
        "g2p.payment.fa",
        "read",
        [first, second],
        ["active", "fa_string"],
    )
    assert (old["active"], new["active"]) == (False, True)
    rows = h.outbox_rows(admin, [partner_id])
    assert [(r["operation"], r["state"]) for r in rows] == [
        ("link", "done"),
        ("update", "done"),
    ]
    assert rows[-1]["verification"] == "verified"
    (update,) = admin(
        "g2p.spar.outbox",
        "read",
        [rows[-1]["id"]],
        ["channel", "change_reason", "request_ref"],
    )
    assert (update["channel"], update["change_reason"], update["request_ref"]) == (
        "backend",
        "Corrected number",
        "REQ-SYS-1",
    )
    assert_consistent(admin, spar, proxy, [partner_id])


def test_removed_fa_is_unlinked_from_spar(admin, fa_manager, spar, proxy):
    partner_ids = h.create_registrants(admin, 3, "Removed")
    h.change_fas(fa_manager, partner_ids, drill=1, change=1)
    h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
    fa_ids = fa_manager(
        "g2p.payment.fa", "search", [("partner_id", "in", partner_ids[:2])]
    )
    fa_manager("g2p.payment.fa", "action_remove", fa_ids)
    h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
    current = h.current_fas(admin, partner_ids)
    held = spar.resolve([sid for sid, _fa in current.values()])
    assert [held[current[p][0]] is None for p in partner_ids] == [True, True, False]
    assert_consistent(admin, spar, proxy, partner_ids, fa_changes_only=False)


def test_new_registrant_id_is_mapped_in_spar_within_seconds(admin, spar, proxy):
    """Two rows in one commit: unlink the old SPAR ID, then link the new one.
    The job that sends the unlink queues the link at once; left to the
    recovery cron, SPAR would map nothing for the person for up to a minute.
    """
    (partner_id,) = h.create_registrants(admin, 1, "Renumbered")
    admin("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700100303"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    ((old_spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    (partner,) = admin("res.partner", "read", [partner_id], ["registrant_ref"])
    admin(
        "res.partner",
        "write",
        [partner_id],
        {"registrant_ref": f"{partner['registrant_ref']}R"},
    )
    h.wait_drained(admin, [partner_id], 5)
    ((new_spar_id, _fa),) = h.current_fas(admin, [partner_id]).values()
    assert spar.resolve([old_spar_id, new_spar_id]) == {
        old_spar_id: None,
        new_spar_id: fa,
    }


def test_odk_import_puts_imported_registrants_into_spar(admin, spar, proxy):
    replay_lib = h.odk_replay_module()
    fixtures = replay_lib.load_fixtures()
    with replay_lib.ReplayServer(fixtures, "system-replay-pw") as replay:
        config_id = h.replay_import_config(
            admin, replay, "Replayed Central (system flow)"
        )
        admin("g2p.odk.import.config", "action_import_now", [config_id])
        records = admin(
            "g2p.odk.import.record",
            "search_read",
            [("config_id", "=", config_id)],
            ["state", "partner_id", "instance_id", "error"],
        )
    done = [r for r in records if r["state"] == "done"]
    failed = [r for r in records if r["state"] == "failed"]
    # What the admin sees on the import: four registrants, two bad submissions.
    assert (len(done), len(failed)) == (4, 2), [r["error"] for r in failed]
    partner_ids = [r["partner_id"][0] for r in done]
    h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
    current = h.current_fas(admin, partner_ids)
    held = spar.resolve([sid for sid, _fa in current.values()])
    assert {held[sid] for sid, _fa in current.values()} == {
        fa for _sid, fa in current.values()
    }
    assert "phone:+254712345678" in held.values()
    rows = h.outbox_rows(admin, partner_ids)
    assert {r["state"] for r in rows} == {"done"}
    assert_consistent(admin, spar, proxy, partner_ids)


def test_odk_edit_removing_the_payment_number_unmaps_it_in_spar(admin, spar, proxy):
    replay_lib = h.odk_replay_module()
    fixtures = replay_lib.load_fixtures()
    ids = fixtures["instance_ids"]
    with replay_lib.ReplayServer(fixtures, "system-replay-pw") as replay:
        config_id = h.replay_import_config(
            admin, replay, "Replayed Central (payment removed)"
        )
        admin("g2p.odk.import.config", "action_import_now", [config_id])
        records = admin(
            "g2p.odk.import.record",
            "search_read",
            [("config_id", "=", config_id), ("state", "=", "done")],
            ["instance_id", "partner_id"],
        )
        partner_of = {r["instance_id"]: r["partner_id"][0] for r in records}
        # Chen (kind set to none) and Dalia (e-mail wallet address removed).
        partner_ids = [partner_of[ids["iban"]], partner_of[ids["email"]]]
        h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
        before = h.current_fas(admin, partner_ids).values()
        assert spar.resolve([sid for sid, _fa in before]) == dict(before)
        # The edits made in Central are imported by the next poll.
        replay.phase = "after_edit"
        admin("g2p.odk.import.config", "action_import_now", [config_id])
    h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
    after = h.current_fas(admin, partner_ids).values()
    assert [fa for _sid, fa in after] == [None, None]
    assert spar.resolve([sid for sid, _fa in after]) == dict(after)
    rows = h.outbox_rows(admin, partner_ids)
    assert sorted(r["operation"] for r in rows) == ["link", "link", "unlink", "unlink"]
    assert_consistent(admin, spar, proxy, partner_ids, fa_changes_only=False)


def _portal_installed(admin):
    return bool(
        admin(
            "ir.module.module",
            "search_count",
            [("name", "=", "g2p_spar_fa_ui"), ("state", "=", "installed")],
        )
    )


def _csrf(html):
    match = re.search(r'name="csrf_token"\s+value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_enumerator_registers_through_the_portal(system, admin, spar, proxy):
    if not _portal_installed(admin):
        pytest.skip("g2p_spar_fa_ui (the portal) is not installed in g2p_test")
    login, password = "enumerator.system", "enumerator-pw-1"
    groups = [
        admin.ref("base.group_portal"),
        admin.ref("g2p_spar_fa_ui.group_fa_enumerator"),
    ]
    admin(
        "res.users",
        "create",
        {
            "name": "Field Enumerator",
            "login": login,
            "password": password,
            "groups_id": [(6, 0, groups)],
        },
    )
    browser = h.requests.Session()
    page = browser.get(f"{system.url}/web/login", timeout=60)
    response = browser.post(
        f"{system.url}/web/login",
        data={"login": login, "password": password, "csrf_token": _csrf(page.text)},
        timeout=60,
    )
    assert response.ok and "/web/login" not in response.url
    form = browser.get(f"{system.url}/my/registrants/new", timeout=60)
    assert form.status_code == 200
    response = browser.post(
        f"{system.url}/my/registrants/new",
        data={
            "csrf_token": _csrf(form.text),
            "name": "Portal Registrant",
            "phone": "+254700000999",
            "kind": "mobile",
            "payment_msisdn": "+254711222333",
            "provider_code": "MPESA",
        },
        timeout=60,
    )
    match = re.search(r"/my/registrants/(\d+)\?saved=1", response.url)
    assert match, f"the portal did not save the registrant ({response.url})"
    partner_id = int(match.group(1))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert fa == "phone:+254711222333"
    assert spar.resolve([spar_id])[spar_id] == fa
    rows = h.outbox_rows(admin, [partner_id])
    channels = admin("g2p.spar.outbox", "read", [rows[0]["id"]], ["channel"])
    assert channels[0]["channel"] == "portal"
    assert_consistent(admin, spar, proxy, [partner_id])
