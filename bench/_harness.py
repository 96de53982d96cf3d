"""What the benchmarks share: an Odoo environment, an Odoo server, timing.

Run by bench/run inside the Odoo virtualenv with ``<odoo.conf> <db>`` as the
first arguments.
"""

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api


def open_registry(argv):
    config_file, db = argv[1], argv[2]
    odoo.tools.config.parse_config(["-c", config_file, "-d", db])
    return config_file, db, odoo.registry(db)


@contextlib.contextmanager
def environment(registry):
    """A superuser environment in a transaction committed on exit."""
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})


@contextlib.contextmanager
def odoo_server(config_file, db, log_file, workers=3):
    """Odoo with its job runner, as ``make run`` starts it (prefork: jobs run
    in parallel processes, not threads sharing the GIL; three workers, as
    ``make run`` has)."""
    odoo_bin = Path(odoo.__path__[0]).parent / "odoo-bin"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                str(odoo_bin),
                "-c",
                config_file,
                "-d",
                db,
                f"--workers={workers}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    port = odoo.tools.config["http_port"]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/web/login", timeout=2)
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"Odoo did not start, see {log_file}")
        yield process
    finally:
        process.terminate()
        process.wait(60)


def record_in_chunks(registry, label, count, first_number, chunk=1000):
    """``count`` registrants with an FA, ``chunk`` per transaction as an
    import commits them: their ids and the rate they were recorded at."""
    started = time.monotonic()
    partner_ids = []
    for start in range(0, count, chunk):
        with environment(registry) as env:
            partner_ids += create_registrants_with_fa(
                env,
                f"{label}{start:07d}-",
                min(chunk, count - start),
                first_number + start,
            )
    return partner_ids, count / (time.monotonic() - started)


BENCH_PROVIDER = {"code": "MPESA", "name": "M-Pesa", "kind": "mobile"}


def ensure_wallet_provider(env):
    """The wallet provider the benchmarks' FAs name by code: the default
    FA format (OpenG2P strategies) carries its name, and a benchmark's
    database has no demo data."""
    providers = env["g2p.wallet.provider"].sudo()
    domain = [(key, "=", value) for key, value in BENCH_PROVIDER.items()]
    if not providers.search_count(domain):
        providers.create(BENCH_PROVIDER)


def create_registrants_with_fa(env, prefix, count, first_number=0):
    """``count`` registrants with a mobile-wallet FA each, through the FA
    model's bulk create (the path imports take): one outbox row each."""
    ensure_wallet_provider(env)
    partners = env["res.partner"].create(
        [
            {
                "name": f"{prefix} {i}",
                "is_registrant": True,
                "registrant_ref": f"{prefix}{i}",
            }
            for i in range(count)
        ]
    )
    env["g2p.payment.fa"].create(
        [
            {
                "partner_id": partner.id,
                "kind": "mobile",
                "payment_msisdn": f"+2547{first_number + i:08d}",
                "provider_code": BENCH_PROVIDER["code"],
            }
            for i, partner in enumerate(partners)
        ]
    )
    return partners.ids


def outbox_counts(registry, partner_ids):
    """(rows claimed at least once, rows done, rows read back) among these
    registrants'."""
    with environment(registry) as env:
        env.cr.execute(
            "SELECT count(*) FILTER (WHERE state <> 'pending'),"
            " count(*) FILTER (WHERE state = 'done'),"
            " count(*) FILTER (WHERE verification <> 'unverified')"
            " FROM g2p_spar_outbox WHERE partner_id = ANY(%s)",
            (partner_ids,),
        )
        return env.cr.fetchone()


def time_drain(registry, partner_ids, read_back=True, timeout=1800):
    """Monotonic times of the first claim, of the last row done and of the
    last row read back (None without read-back) among these registrants'."""
    count = len(partner_ids)
    first_claim = wait_until(lambda: outbox_counts(registry, partner_ids)[0] > 0, 120)
    last_done = wait_until(
        lambda: outbox_counts(registry, partner_ids)[1] == count, timeout
    )
    if not read_back:
        return first_claim, last_done, None
    last_read = wait_until(
        lambda: outbox_counts(registry, partner_ids)[2] == count, timeout
    )
    return first_claim, last_done, last_read


def wait_until(predicate, timeout, interval=0.05):
    """Poll ``predicate`` until true; returns the monotonic time it turned so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _process_table():
    """{pid: (parent pid, CPU seconds of the process and of its reaped
    children)} of every live process."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces.
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (
            int(fields[1]),
            sum(int(value) for value in fields[11:15]) / tick,
        )
    return table


class CpuMeter:
    """CPU seconds spent by each part of a benchmark's stack: the bench
    process itself, Odoo (server and workers), the SPAR mapper, the
    signature verifier and PostgreSQL, each with its processes' children.

    A process's reaped children count in its parent's time, so the sum over
    a part's live processes holds the work of those that have exited too
    (PostgreSQL backends, recycled Odoo workers).
    """

    def __init__(self, config_file, odoo_pid):
        root = Path(config_file).parent

        def pid_file(path):
            with contextlib.suppress(OSError, ValueError):
                return int(path.read_text().split()[0])
            return None

        self.roots = {
            "odoo": odoo_pid,
            "spar": pid_file(root / "pids" / "spar-mapper.pid"),
            "verifier": pid_file(root / "pids" / "spar-verifier.pid"),
            "postgres": pid_file(root / "pg" / "data" / "postmaster.pid"),
        }

    def read(self):
        table = _process_table()
        children = {}
        for pid, (parent, _cpu) in table.items():
            children.setdefault(parent, []).append(pid)
        seconds = Counter()
        for part, root_pid in self.roots.items():
            todo = [root_pid] if root_pid in table else []
            while todo:
                pid = todo.pop()
                seconds[part] += table[pid][1]
                todo += children.get(pid, ())
        own = os.times()
        seconds["bench"] = own.user + own.system
        return seconds
