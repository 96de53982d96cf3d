"""Scale drill: registrants with FAs, drained to SPAR, read back, reconciled.

Not in the default report (``bench/run scale``, once; figures in
docs/bench/SCALE.md). The registry grows in steps (``--steps``, cumulative
totals: 25,000 50,000 100,000 by default, a growth curve); each step:

1. claim cost: with the runner down, 1,000 changes are recorded and a claim
   of 500 heads is timed (median of 20, each rolled back), the table holding
   every row of the earlier steps, done: the cost a deployment pays as its
   outbox history grows.
2. record: the rest of the step's registrants get an FA through the FA
   model's bulk create (what imports use), 1,000 per transaction.
3. drain and read-back: Odoo starts (prefork, job runner); rows/s from the
   first claim to the last row done, and to the last row read back.
4. reconciliation: a full run (every registrant resolved in SPAR, paged by
   1,000), rows/s.
5. SPAR's own table against the registry: count and an MD5 of the sorted
   (SPAR ID, FA) pairs of each side, which must be equal.

The peak resident memory of Odoo's workers is sampled every 0.2 s (from
/proc) during 3, and during 4 for the worker running the reconciliation: it
must stay flat as the registry grows (paged, not all in memory).
"""

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from _harness import (
    environment,
    odoo_server,
    open_registry,
    record_in_chunks,
    time_drain,
    wait_until,
)

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("db")
parser.add_argument("--steps", type=int, nargs="+", default=[25_000, 50_000, 100_000])
args = parser.parse_args()
config_file, db, registry = open_registry(sys.argv)

from odoo import sql_db  # noqa: E402

CHUNK = 1000
PROBE = 1000
BATCH = 500
SPAR_DB = "spar_mapper"
SERVER_LOG = Path(config_file).parent / "logs" / "bench-odoo.log"
PAIRS_SR = """
    SELECT count(*), md5(string_agg(p.spar_id || '=' || f.fa_string, ','
                                    ORDER BY p.spar_id COLLATE "C"))
      FROM g2p_payment_fa f JOIN res_partner p ON p.id = f.partner_id
     WHERE f.active AND p.active AND p.spar_id IS NOT NULL
"""
PAIRS_SPAR = """
    SELECT count(*), md5(string_agg(id_value || '=' || fa_value, ','
                                    ORDER BY id_value COLLATE "C"))
      FROM id_fa_mappings
"""


def log(message):
    print(f"[scale] {message}", flush=True)


class PeakRss:
    """Peak resident memory (MiB) of the children of a process (Odoo's
    workers), sampled from /proc while the block runs."""

    def __init__(self, process):
        self.pid = process.pid
        self.peak = 0.0
        self.stop = threading.Event()

    def _children(self):
        found = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            found += (task / "children").read_text().split()
        return found

    def _sample(self):
        while not self.stop.wait(0.2):
            for pid in self._children():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmRSS:"):
                        self.peak = max(self.peak, int(line.split()[1]) / 1024)

    def __enter__(self):
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def record(label, count, first_number):
    return record_in_chunks(registry, label, count, first_number, CHUNK)


def claim_ms():
    """Median time of a claim of BATCH heads, rolled back each time."""
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE g2p_spar_outbox")
        cr._cnx.autocommit = False
    timings = []
    with environment(registry) as env:
        outbox = env["g2p.spar.outbox"]
        for _repeat in range(20):
            env.cr.execute("SAVEPOINT claim_bench")
            started = time.perf_counter()
            claimed, _more = outbox._claim(BATCH)
            timings.append((time.perf_counter() - started) * 1000)
            assert len(claimed) == BATCH, len(claimed)
            env.cr.execute("ROLLBACK TO SAVEPOINT claim_bench")
            env.invalidate_all()
        env.cr.rollback()
    return statistics.median(timings)


def reconcile():
    with environment(registry) as env:
        run = env["g2p.spar.reconciliation"]._cron_start()
        run_id = run.id
    started = time.monotonic()

    def finished():
        with environment(registry) as env:
            run = env["g2p.spar.reconciliation"].browse(run_id)
            return run.state != "running" and (
                run.state,
                run.checked_count,
                run.in_sync_count,
            )

    wait_until(finished, 3600, interval=0.5)
    state, checked, in_sync = finished()
    assert state == "done", state
    return checked / (time.monotonic() - started), checked, in_sync


def pairs():
    with environment(registry) as env:
        env.cr.execute(PAIRS_SR)
        ours = env.cr.fetchone()
    with sql_db.db_connect(SPAR_DB).cursor() as cr:
        cr.execute(PAIRS_SPAR)
        theirs = cr.fetchone()
    return ours, theirs


with environment(registry) as env:
    env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")

total = 0
results = []
for step, size in enumerate(args.steps):
    probe_ids, _rate = record(f"S{step}P", PROBE, 10_000_000 * step)
    claim = claim_ms()
    log(f"{total} rows done: claim of {BATCH} takes {claim:.1f} ms (median)")
    rest, record_rate = record(
        f"S{step}R", size - total - PROBE, 10_000_000 * step + PROBE
    )
    step_ids = probe_ids + rest
    with odoo_server(config_file, db, SERVER_LOG) as server:
        with PeakRss(server) as drain_rss:
            first_claim, last_done, last_read = time_drain(
                registry, step_ids, timeout=7200
            )
        with PeakRss(server) as recon_rss:
            recon_rate, checked, in_sync = reconcile()
    total = size
    ours, theirs = pairs()
    figures = {
        "registrants": size,
        "record_rate": record_rate,
        "drain_rate": len(step_ids) / (last_done - first_claim),
        "read_back_rate": len(step_ids) / (last_read - first_claim),
        "reconcile_rate": recon_rate,
        "claim_ms": claim,
        "worker_rss_mb": drain_rss.peak,
        "reconcile_rss_mb": recon_rss.peak,
    }
    log(
        " ".join(f"{k}={v:.1f}" for k, v in figures.items())
        + f" checked={checked} in_sync={in_sync} sr={ours} spar={theirs}"
    )
    if ours != theirs or in_sync != checked:
        sys.exit(f"SPAR differs from the registry: {ours} != {theirs}")
    results.append(figures)

# The claim at the end, over the whole table.
record("E", PROBE, 90_000_000)
end_claim = claim_ms()
first, last = results[0], results[-1]
print(
    f"registrants={last['registrants']} drain_rate={last['drain_rate']:.1f}"
    f" read_back_rate={last['read_back_rate']:.1f}"
    f" reconcile_rate={last['reconcile_rate']:.1f}"
    f" record_rate={last['record_rate']:.1f}"
    f" worker_rss_mb={max(r['worker_rss_mb'] for r in results):.0f}"
    f" reconcile_rss_mb={max(r['reconcile_rss_mb'] for r in results):.0f}"
    f" claim_ms_start={first['claim_ms']:.1f} claim_ms_end={end_claim:.1f}"
    f" spar_equals_sr=yes"
)
