"""Scaling out: two Odoo nodes on one database, both running dispatch jobs.

Laid out as queue_job's documentation says for several nodes: one job
runner (node A's), whose ``/queue_job/runjob`` calls go through a load
balancer to every node; node B runs Odoo's workers with the runner off
(``[queue_job] channels = root:0``). Under a load of bulk changes and
department users' corrections, no row may be claimed or sent twice, and
each registrant's FAs must reach SPAR in commit order (checked from what
the proxy in front of SPAR saw, as the fault drills do).
"""

import contextlib
import re
import socket
import threading
import time
from collections import Counter

import pytest
import sysharness as h

pytestmark = pytest.mark.drill

ROUNDS = 3
REGISTRANTS = 600
CORRECTIONS = 30


class RoundRobinBalancer:
    """A TCP load balancer handing each connection to the next node."""

    def __init__(self, ports):
        self.ports = ports
        self.turn = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]

    def __enter__(self):
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.close()

    def _serve(self):
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
            upstream = socket.create_connection(("127.0.0.1", port))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(source, target), daemon=True
                ).start()

    @staticmethod
    def _pipe(source, target):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_queue_job(config_text, options):
    """The configuration with its ``[queue_job]`` section set to ``options``."""
    head = config_text.split("\n[queue_job]")[0].rstrip("\n")
    lines = "".join(f"{key} = {value}\n" for key, value in options.items())
    return f"{head}\n\n[queue_job]\n{lines}"


def _channels(config_text):
    return re.search(r"^channels = (.*)$", config_text, re.M).group(1)


@contextlib.contextmanager
def two_nodes(system):
    """Node A (the system's Odoo, with the job runner) and node B on the
    same database, the runner's calls balanced over both."""
    original = system.config.read_text()
    node_b_port = _free_port()
    balancer = RoundRobinBalancer([int(system.port), node_b_port])
    config_a = system.config.with_name("odoo-system-a.conf")
    config_a.write_text(
        _with_queue_job(
            original,
            {
                "channels": _channels(original),
                "host": "127.0.0.1",
                "port": balancer.port,
            },
        )
    )
    config_b = system.config.with_name("odoo-system-b.conf")
    config_b.write_text(
        re.sub(
            r"^gevent_port = .*$",
            f"gevent_port = {_free_port()}",
            _with_queue_job(original, {"channels": "root:0"}),
            flags=re.M,
        )
    )
    node_b = type(system)(system.stack, config_b, node_b_port, system.proxy)
    node_b.name = "odoo-system-b"
    with balancer:
        system.stop()
        system.config = config_a
        try:
            system.start()
            node_b.start()
            yield node_b
        finally:
            node_b.stop()
            system.stop()
            system.config.write_text(original)
            system.start()


def _dispatch_workers(system, since):
    """Pids of the workers that ran dispatch jobs started after ``since``."""
    out = system.stack.psql(
        "SELECT DISTINCT worker_pid FROM queue_job WHERE worker_pid IS NOT NULL"
        " AND method_name IN ('_dispatch', '_dispatch_interactive')"
        f" AND date_started >= '{since}'",
        db=h.SYSTEM_DB,
    )
    return {int(pid) for pid in out.split()}


def _correct(rpc, partner_id, number):
    """A department user's correction through the amendment wizard."""
    wizard = rpc(
        "g2p.fa.amendment",
        "create",
        {
            "partner_id": partner_id,
            "action": "change",
            "reason": "beneficiary not paid",
            "request_ref": f"SCALE-{partner_id}",
            "kind": "mobile",
            "payment_msisdn": number,
            "provider_code": "MPESA",
        },
    )
    rpc("g2p.fa.amendment", "action_confirm", [wizard])


def test_two_odoo_nodes_dispatch_without_doubles_or_reordering(
    system, admin, spar, proxy
):
    since = system.stack.psql("SELECT now() AT TIME ZONE 'UTC'", db=h.SYSTEM_DB)
    with two_nodes(system) as node_b:
        rpc_a, rpc_b = system.admin(), node_b.admin()
        partner_ids = h.create_registrants(rpc_a, REGISTRANTS, "Scale out")
        proxy.delay = 0.05  # batches in flight while the other node claims
        for change in range(1, ROUNDS + 1):
            # Bulk rounds through either node, committed while the last drains.
            rpc = rpc_a if change % 2 else rpc_b
            h.change_fas(rpc, partner_ids, drill=80, change=change)
            for index, partner_id in enumerate(partner_ids[:CORRECTIONS]):
                _correct(
                    (rpc_b, rpc_a)[index % 2],
                    partner_id,
                    h.msisdn(81, index, change),
                )
            time.sleep(1)
        proxy.delay = 0.0
        h.wait_drained(
            rpc_a,
            partner_ids,
            300,
            recover=lambda: system.run_recovery_cron(rpc_a),
        )
        workers = _dispatch_workers(system, since)
        masters = {h.parent_of(pid) for pid in workers}
        assert system.master_pid in masters, "node A ran no dispatch job"
        assert node_b.master_pid in masters, "node B ran no dispatch job"

        rows = h.outbox_rows(rpc_a, partner_ids)
        claimed_twice = [r for r in rows if r["attempts"] > 1]
        assert not claimed_twice, f"rows claimed twice: {claimed_twice[:5]}"
        references = {str(r["id"]) for r in rows}
        sent = Counter(
            (action, ref)
            for action, _spar_id, _fa, ref in proxy.forwarded
            if ref in references and action != "resolve"
        )
        doubles = [key for key, count in sent.items() if count > 1]
        assert not doubles, f"requests sent twice: {doubles[:5]}"
        problems = h.check_consistency(rpc_a, spar, proxy, partner_ids)
        assert not problems, h.summarize(problems)
