"""Interactive edits while a bulk backlog drains: the lanes.

1. ``--people`` registrants (the ones department users will correct) and a
   backlog of ``--backlog`` more get an FA through the FA model's bulk create
   (channel ``code``, bulk lane), committed with the job runner down. Odoo
   starts (prefork, job runner, channels root.spar:2 and
   root.spar_interactive:1) and drains them, the people first (id order).
2. While the backlog drains, windows of ``--window`` seconds (5) alternate:
   bulk alone, then bulk with corrections, and so on. In a window with
   corrections a department user's correction arrives every 1/``--rate``
   seconds, each a new FA recorded through the amendment wizard's code path
   (``g2p.fa.amendment.action_confirm``, channel ``backend``) in its own
   transaction, and is timed from its commit to its outbox row read back as
   verified by SPAR's resolve (polled every 20 ms).
3. bulk_rate: backlog rows done per second summed over the windows with
   corrections; bulk_alone_rate: the same over the windows without. The
   windows alternate within one drain, so both rates see the same machine:
   it is shared and its speed drifts within minutes, and PostgreSQL's
   autovacuum lands in one window or another: short windows spread it over
   both kinds (with 10-second windows, one drain gave 5 windows and the ratio
   moved by 0.08 between runs). The last window (the backlog running out)
   counts for neither.
4. Where a correction's cost goes: the CPU time of each part of the stack
   (this process, Odoo, SPAR, the signature verifier, PostgreSQL) is read
   from /proc at each window's ends; a correction costs what the windows with
   corrections spent beyond their bulk rows at the rate of the windows
   without, printed part by part before the last line.

Last line: ``interactive_p95_s=... interactive_p99_s=... bulk_rate=...
bulk_alone_rate=... bulk_ratio=...``. Targets: interactive p95 < 1 s,
bulk_ratio (bulk rate with the interactive stream over bulk alone) >= 0.9.
"""

import argparse
import contextlib
import itertools
import json
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import psycopg2
from _harness import (
    CpuMeter,
    create_registrants_with_fa,
    environment,
    odoo_server,
    open_registry,
    outbox_counts,
    percentile,
    record_in_chunks,
    time_drain,
    wait_until,
)

from odoo.sql_db import connection_info_for

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("db")
parser.add_argument("--backlog", type=int, default=100_000)
parser.add_argument("--window", type=float, default=5.0, help="seconds")
parser.add_argument("--rate", type=float, default=3.0, help="interactive edits/s")
parser.add_argument("--people", type=int, default=300)
parser.add_argument("--samples-out", help="write the latencies (s) to this JSON file")
args = parser.parse_args()
config_file, db, registry = open_registry(sys.argv)

CHUNK = 1000
SERVER_LOG = Path(config_file).parent / "logs" / "bench-odoo.log"


def log(message):
    print(f"[mixed] {message}", flush=True)


def record_backlog(label, count, first_number):
    partner_ids, rate = record_in_chunks(registry, label, count, first_number, CHUNK)
    log(f"{label}: {count} bulk rows recorded ({rate:.0f}/s)")
    return partner_ids


class InteractiveStream:
    """Department users correcting FAs at a steady rate, through the
    amendment wizard, each correction timed from commit to verified."""

    def __init__(self, people, rate):
        self.people = itertools.cycle(people)
        self.interval = 1.0 / rate
        self.numbers = itertools.count(90_000_000)
        self.outstanding = {}  # outbox row id -> commit time
        self.latencies = []
        self.failures = []
        self.committed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.active = threading.Event()  # corrections arrive while set

    def correct(self, partner_id):
        with environment(registry) as env:
            wizard = env["g2p.fa.amendment"].create(
                {
                    "partner_id": partner_id,
                    "action": "change",
                    "reason": "beneficiary was not paid",
                    "request_ref": f"BENCH-{partner_id}",
                    "kind": "mobile",
                    "payment_msisdn": f"+2547{next(self.numbers):08d}",
                    "provider_code": "MPESA",
                }
            )
            wizard.action_confirm()
            env.cr.execute(
                "SELECT max(id) FROM g2p_spar_outbox WHERE partner_id = %s",
                (partner_id,),
            )
            row_id = env.cr.fetchone()[0]
        return row_id, time.monotonic()

    def edit(self):
        next_at = time.monotonic()
        while not self.stop.is_set():
            if not self.active.wait(0.1):
                next_at = time.monotonic()
                continue
            row_id, committed = self.correct(next(self.people))
            with self.lock:
                self.outstanding[row_id] = committed
                self.committed += 1
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.monotonic()))

    def watch(self):
        # One statement per look, on a connection of its own: the watching
        # is the benchmark's, and must cost the stack as little as it can.
        with contextlib.closing(psycopg2.connect(**connection_info_for(db)[1])) as cnx:
            cnx.autocommit = True
            cursor = cnx.cursor()
            while not (self.stop.is_set() and not self.outstanding):
                with self.lock:
                    ids = list(self.outstanding)
                if ids:
                    cursor.execute(
                        "SELECT id, verification FROM g2p_spar_outbox"
                        " WHERE id = ANY(%s) AND verification <> 'unverified'",
                        (ids,),
                    )
                    seen = time.monotonic()
                    for row_id, verification in cursor.fetchall():
                        with self.lock:
                            committed = self.outstanding.pop(row_id)
                        if verification == "verified":
                            self.latencies.append(seen - committed)
                        else:
                            self.failures.append((row_id, verification))
                time.sleep(0.02)

    def __enter__(self):
        self.threads = [
            threading.Thread(target=self.edit, daemon=True),
            threading.Thread(target=self.watch, daemon=True),
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(120)


with environment(registry) as env:
    env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")
    people = create_registrants_with_fa(env, "P", args.people, first_number=80_000_000)
backlog = record_backlog("M", args.backlog, 0)


# The backlog's registrants were created one after the other: their ids are
# a range, which PostgreSQL counts over without reading a list of 100,000.
BACKLOG_IDS = (min(backlog), max(backlog))
assert BACKLOG_IDS[1] - BACKLOG_IDS[0] + 1 == len(backlog)


def backlog_done():
    with environment(registry) as env:
        env.cr.execute(
            "SELECT count(*) FROM g2p_spar_outbox"
            " WHERE partner_id BETWEEN %s AND %s AND state = 'done'",
            BACKLOG_IDS,
        )
        return env.cr.fetchone()[0]


class Window(NamedTuple):
    with_corrections: bool
    seconds: float
    bulk_rows: int
    corrections: int
    cpu: Counter  # CPU seconds by part of the stack


windows = []
with odoo_server(config_file, db, SERVER_LOG) as server:
    meter = CpuMeter(config_file, server.pid)
    wait_until(lambda: outbox_counts(registry, people)[1] == len(people), 600)
    with InteractiveStream(people, args.rate) as stream:
        started, done, cpu = time.monotonic(), backlog_done(), meter.read()
        corrections = 0
        while done < len(backlog):
            with_corrections = len(windows) % 2 == 1
            if with_corrections:
                stream.active.set()
            else:
                stream.active.clear()
            time.sleep(args.window)
            now, now_done, reading = time.monotonic(), backlog_done(), meter.read()
            now_corrections = stream.committed
            spent = Counter(reading)
            spent.subtract(cpu)
            windows.append(
                Window(
                    with_corrections,
                    now - started,
                    now_done - done,
                    now_corrections - corrections,
                    spent,
                )
            )
            started, done, cpu = now, now_done, reading
            corrections = now_corrections
        stream.stop.set()
        wait_until(lambda: not stream.outstanding, 120)
    time_drain(registry, backlog)  # read back before Odoo stops

counted = windows[:-1]


def total(attribute, with_corrections):
    return sum(
        getattr(w, attribute) for w in counted if w.with_corrections == with_corrections
    )


def cpu_total(with_corrections):
    cpu = Counter()
    for window in counted:
        if window.with_corrections == with_corrections:
            cpu.update(window.cpu)
    return cpu


rates = {
    kind: total("bulk_rows", kind) / total("seconds", kind) for kind in (True, False)
}
# Where a correction's cost goes: the CPU of the windows with corrections
# beyond what their bulk rows cost at the rate of the windows without,
# shared among their corrections, part by part.
alone_cpu, alone_rows = cpu_total(False), total("bulk_rows", False)
mixed_cpu, mixed_rows = cpu_total(True), total("bulk_rows", True)
per_correction = {
    part: (mixed_cpu[part] - mixed_rows * alone_cpu[part] / alone_rows)
    / max(1, total("corrections", True))
    for part in sorted(alone_cpu)
}
log(
    "CPU per bulk row (ms): "
    + " ".join(f"{p}={1000 * alone_cpu[p] / alone_rows:.2f}" for p in sorted(alone_cpu))
)
log(
    "CPU per correction beyond bulk (ms): "
    + " ".join(f"{p}={1000 * v:.1f}" for p, v in per_correction.items())
    + f" total={1000 * sum(per_correction.values()):.1f}"
)
log(
    "CPU busy (cores): alone "
    + " ".join(
        f"{p}={alone_cpu[p] / total('seconds', False):.2f}" for p in sorted(alone_cpu)
    )
    + "; with corrections "
    + " ".join(
        f"{p}={mixed_cpu[p] / total('seconds', True):.2f}" for p in sorted(mixed_cpu)
    )
)
edits = len(stream.latencies)
log(
    f"{len(counted)} windows; {edits} corrections verified during the drain:"
    f" median {statistics.median(stream.latencies):.2f}s,"
    f" max {max(stream.latencies):.2f}s; {len(stream.failures)} not verified"
)
if args.samples_out:
    Path(args.samples_out).write_text(json.dumps({"interactive_s": stream.latencies}))
if stream.failures:
    sys.exit(f"corrections not verified: {stream.failures[:10]}")
print(
    f"interactive_p95_s={percentile(stream.latencies, 0.95):.2f}"
    f" interactive_p99_s={percentile(stream.latencies, 0.99):.2f}"
    f" bulk_rate={rates[True]:.1f} bulk_alone_rate={rates[False]:.1f}"
    f" bulk_ratio={rates[True] / rates[False]:.2f} interactive_edits={edits}"
    f" windows={len(counted)}"
)
