"""Fault drills: break one part of the running system while FAs drain.

After each drill the same three things must hold for every registrant the
drill touched (see ``sysharness.check_consistency``): zero lost (SPAR
resolves the FA Odoo holds now), zero duplicates (one outbox row per
committed change, none failed or stuck) and per-registrant order kept (the
requests the proxy saw for a SPAR ID follow the commit order and end with
the last FA). Every wait is bounded; a drill that does not converge fails.
"""

import os
import signal
import threading
import time

import pytest
import sysharness as h

pytestmark = pytest.mark.drill

DRAIN_TIMEOUT = 240


def assert_consistent(system, spar, partner_ids, **kwargs):
    problems = h.check_consistency(
        system.admin(), spar, system.proxy, partner_ids, **kwargs
    )
    assert not problems, h.summarize(problems)


def rows_in(system, partner_ids, states):
    ids = ",".join(str(p) for p in partner_ids)
    wanted = ",".join(f"'{s}'" for s in states)
    return int(
        system.stack.psql(
            f"SELECT count(*) FROM g2p_spar_outbox WHERE partner_id IN ({ids}) "
            f"AND state IN ({wanted})",
            db=h.SYSTEM_DB,
        )
    )


def max_attempts(admin, partner_ids):
    rows = h.outbox_rows(admin, partner_ids)
    return max(r["attempts"] for r in rows)


def drain(system, admin, partner_ids, timeout=DRAIN_TIMEOUT):
    """Wait for the drain, running the recovery cron now and then as an
    operator would instead of waiting for its next minute."""
    return h.wait_drained(
        admin, partner_ids, timeout, recover=lambda: system.run_recovery_cron(admin)
    )


def test_spar_stopped_30s_during_a_2000_change_drain(system, admin, spar, proxy):
    stack = system.stack
    spar_port = stack.ports["spar"]
    partner_ids = h.create_registrants(admin, 2000, "Drill SPAR stop")
    h.change_fas(admin, partner_ids, drill=10, change=1)
    h.wait_until(
        lambda: rows_in(system, partner_ids, ["done"]) > 0,
        60,
        what="first rows reached SPAR",
    )
    stack.stop_daemon("spar-mapper")
    stopped_at = time.monotonic()
    try:
        # Department users keep working meanwhile.
        h.change_fas_one_by_one(admin, partner_ids[:10], drill=10, change=2)
        h.wait_until(
            lambda: rows_in(system, partner_ids, ["retry_wait"]) > 0,
            30,
            what="rows waiting to retry while SPAR is down",
        )
        h.change_fas_one_by_one(admin, partner_ids[:5], drill=10, change=3)
        # The outage lasts 30 s, whatever the steps above took.
        time.sleep(max(0.0, 30 - (time.monotonic() - stopped_at)))
        assert rows_in(system, partner_ids, ["failed"]) == 0
        left = rows_in(system, partner_ids, h.UNFINISHED)
    finally:
        stack.spar_start()
    # Same address as before: the proxy (and a real SPAR URL) still fit.
    assert stack.ports["spar"] == spar_port
    assert left > 500, "the outage should hit the drain, not its tail"
    drain(system, admin, partner_ids)
    assert max_attempts(admin, partner_ids) > 1
    assert_consistent(system, spar, partner_ids)


def test_verifier_stopped(system, admin, spar, proxy):
    stack = system.stack
    partner_ids = h.create_registrants(admin, 60, "Drill verifier stop")
    h.change_fas(admin, partner_ids, drill=20, change=1)
    drain(system, admin, partner_ids)
    stack.stop_daemon("spar-verifier")
    stopped_at = time.monotonic()
    try:
        h.change_fas(admin, partner_ids, drill=20, change=2)
        h.wait_until(
            lambda: rows_in(system, partner_ids, ["retry_wait"]) > 0,
            30,
            what="SPAR refusing requests while its verifier is down",
        )
        h.change_fas_one_by_one(admin, partner_ids[:10], drill=20, change=3)
        # The verifier stays down 15 s, whatever the steps above took.
        time.sleep(max(0.0, 15 - (time.monotonic() - stopped_at)))
        assert rows_in(system, partner_ids, ["failed"]) == 0
    finally:
        # The mapper keeps running and its cached token stays valid: the
        # verifier's tokens outlive its restart, as a key manager's do.
        stack.spar_start()
    drain(system, admin, partner_ids)
    assert max_attempts(admin, partner_ids) > 1
    assert_consistent(system, spar, partner_ids)


def test_proxy_failing_20_percent_of_calls(system, admin, spar, proxy):
    partner_ids = h.create_registrants(admin, 150, "Drill flaky network")
    # Batches of 20: enough calls that faults hit pushes, not only the
    # read-back.
    batch_size = "g2p_spar_fa_sync.batch_size"
    usual_size = admin("ir.config_parameter", "get_param", batch_size)
    admin("ir.config_parameter", "set_param", batch_size, "20")
    proxy.failure_rate = 0.2
    try:
        h.change_fas(admin, partner_ids, drill=30, change=1)
        # More changes land while the first ones drain through the faults.
        for change in (2, 3):
            h.change_fas_one_by_one(admin, partner_ids[:15], drill=30, change=change)
        drain(system, admin, partner_ids)
    finally:
        proxy.failure_rate = 0.0
        admin("ir.config_parameter", "set_param", batch_size, usual_size)
    assert proxy.failures["http_500"] > 0 and proxy.failures["reset"] > 0
    assert max_attempts(admin, partner_ids) > 1
    assert_consistent(system, spar, partner_ids)


def _dispatching_worker(system):
    """Pid of the Odoo worker running a dispatch job, if one is."""
    out = system.stack.psql(
        "SELECT worker_pid FROM queue_job WHERE state = 'started' "
        "AND method_name IN ('_dispatch', '_dispatch_interactive')"
        " AND worker_pid IS NOT NULL",
        db=h.SYSTEM_DB,
    )
    workers = h.children(system.master_pid)
    for line in out.split():
        if int(line) in workers:
            return int(line)
    return None


def test_kill_9_of_an_odoo_worker_mid_batch(system, admin, spar, proxy):
    partner_ids = h.create_registrants(admin, 100, "Drill worker kill")
    h.change_fas(admin, partner_ids, drill=40, change=1)
    drain(system, admin, partner_ids)
    proxy.delay = 4.0  # a slow SPAR: batches stay in flight for seconds
    h.change_fas(admin, partner_ids, drill=40, change=2)
    victim = h.wait_until(
        lambda: (
            rows_in(system, partner_ids, ["sending"]) and _dispatching_worker(system)
        ),
        60,
        interval=0.2,
        what="a worker sending a batch",
    )
    master = system.master_pid
    assert h.parent_of(victim) == master
    os.kill(victim, signal.SIGKILL)
    h.change_fas_one_by_one(admin, partner_ids[:10], drill=40, change=3)
    proxy.delay = 0.0
    # The master replaces the worker; Odoo keeps answering users.
    h.wait_until(
        lambda: victim not in h.children(master) and len(h.children(master)) >= 3,
        30,
        what="the killed worker replaced",
    )
    assert system.admin()("res.partner", "search_count", [("id", "in", partner_ids)])
    drain(system, admin, partner_ids)
    assert max_attempts(admin, partner_ids) > 1
    assert_consistent(system, spar, partner_ids)


def test_postgresql_restarted_mid_drain(system, admin, spar, proxy):
    stack = system.stack
    partner_ids = h.create_registrants(admin, 100, "Drill PG restart")
    h.change_fas(admin, partner_ids, drill=50, change=1)
    drain(system, admin, partner_ids)
    proxy.delay = 2.0
    h.change_fas(admin, partner_ids, drill=50, change=2)
    h.wait_until(
        lambda: rows_in(system, partner_ids, ["sending"]) > 0,
        60,
        interval=0.2,
        what="rows being sent",
    )
    stack.pg_stop()
    stack.pg_start()
    proxy.delay = 0.0
    # A user saving right after the restart: retried until Odoo answers.
    h.wait_until(
        lambda: h.change_fas_one_by_one(
            system.admin(), partner_ids[:10], drill=50, change=3
        ),
        60,
        interval=2,
        what="Odoo accepting changes after the restart",
    )
    drain(system, admin, partner_ids)
    assert_consistent(system, spar, partner_ids)


def test_same_registrant_edited_from_backend_and_odk_at_once(
    system, admin, fa_manager, spar, proxy
):
    replay_lib = h.odk_replay_module()
    fixtures = replay_lib.load_fixtures()
    with replay_lib.ReplayServer(fixtures, "drill-replay-pw") as replay:
        config_id = h.replay_import_config(
            admin, replay, "Replayed Central (concurrency drill)"
        )
        admin("g2p.odk.import.config", "action_import_now", [config_id])
        (record,) = admin(
            "g2p.odk.import.record",
            "search_read",
            [
                ("config_id", "=", config_id),
                ("instance_id", "=", fixtures["instance_ids"]["mobile"]),
            ],
            ["partner_id"],
        )
        partner_id = record["partner_id"][0]
        drain(system, admin, [partner_id])
        # Central now holds an edit of this registrant's payment number while
        # a department user records another one for the same registrant.
        replay.phase = "after_edit"
        start = threading.Barrier(2)
        errors = []

        def backend():
            start.wait()
            try:
                fa_manager(
                    "g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700606606")
                )
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        def odk():
            start.wait()
            try:
                admin("g2p.odk.import.config", "action_import_now", [config_id])
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=backend), threading.Thread(target=odk)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert not errors, errors
    history = h.fa_history(admin, [partner_id])[partner_id]
    # Both edits were committed, one after the other.
    assert set(history[1:]) == {"phone:+254700606606", "phone:+254799888777"}
    drain(system, admin, [partner_id])
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert fa == history[-1]
    assert spar.resolve([spar_id])[spar_id] == fa
    assert_consistent(system, spar, [partner_id])


def test_bulk_change_while_the_same_registrants_drain(system, admin, spar, proxy):
    """A CSV-like import of new FAs while SPAR refuses the previous ones."""
    partner_ids = h.create_registrants(admin, 500, "Drill bulk during drain")
    proxy.failure_rate = 1.0  # SPAR failing: rows churn between sending and retry
    h.change_fas(admin, partner_ids, drill=60, change=1)
    h.wait_until(
        lambda: rows_in(system, partner_ids, ["retry_wait"]) > 100,
        60,
        what="the drain retrying",
    )
    error = None
    try:
        h.change_fas(admin, partner_ids, drill=60, change=2)
    except h.RpcError as exc:
        error = exc
    proxy.failure_rate = 0.0
    drain(system, admin, partner_ids)
    assert error is None, f"the department user's save failed: {error}"
    assert_consistent(system, spar, partner_ids)


def test_every_registrant_in_odoo_matches_spar_after_the_drills(system, admin, spar):
    """The whole registry at the end: nothing lost, stuck, doubled or reordered."""
    partner_ids = admin(
        "res.partner",
        "search",
        [("is_registrant", "=", True), ("spar_id", "!=", False)],
    )
    drain(system, admin, partner_ids, timeout=120)
    assert_consistent(system, spar, partner_ids, fa_changes_only=False)
