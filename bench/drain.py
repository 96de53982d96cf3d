"""Drain rate of the outbox against raw batched SPAR calls and the naive path.

1. N registrants get a mobile-wallet FA, committed with the job runner down,
   so N outbox rows and one dispatch job wait.
2. raw_batch_rate: the same SPAR links N other ids carrying the same payload
   (id, FA, name, payment phone, additional info) in direct batched calls of
   the configured batch size, one after the other: the ceiling. Measured
   twice, just before and just after the drain, N ids each time, and
   averaged: this 2-core VM's speed drifts by half within minutes, and a
   single measurement on one side would put that drift into the ratio.
3. drain_rate: Odoo starts (prefork, job runner, channel root.spar:2); from
   the first claim to the last row done (accepted by SPAR), rows per second.
   verified_rate: from the same first claim to the last row read back by
   resolve, which runs at a lower priority than the push (see
   ``_read_back``), so it mostly follows the drain.
4. p95_latency_s: with the runner idle, single edits timed from commit to the
   row being verified in SPAR. second_change_p95_s: then the registrant's
   ID changes, two rows in one commit (unlink the old SPAR ID, link the new
   one) where the second can only go once the first is done, timed from
   commit to the second verified: the job sending the first must queue the
   next at once, not leave it to the recovery cron (a minute).
5. naive_rate: M more changes through the same runner, one job and one SPAR
   call per change (batch size 1, no read-back: generous to the naive path).
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from _harness import (
    create_registrants_with_fa,
    environment,
    odoo_server,
    open_registry,
    outbox_counts,
    percentile,
    time_drain,
    wait_until,
)

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("db")
parser.add_argument("--changes", type=int, default=10_000)
parser.add_argument("--naive", type=int, default=500)
parser.add_argument("--latency-samples", type=int, default=20)
parser.add_argument(
    "--samples-out", help="write the latency samples (seconds) to this JSON file"
)
args = parser.parse_args()
config_file, db, registry = open_registry(sys.argv)
# Importable once the configuration has set the addons path.
from odoo.addons.g2p_spar_fa_sync.lib import spar_protocol  # noqa: E402

CHUNK = 500
PARAM = "g2p_spar_fa_sync."


def log(message):
    print(f"[drain] {message}", flush=True)


def last_row_verified(partner_id):
    with environment(registry) as env:
        env.cr.execute(
            "SELECT verification FROM g2p_spar_outbox WHERE partner_id = %s"
            " ORDER BY sequence DESC LIMIT 1",
            (partner_id,),
        )
        return env.cr.fetchone()[0] == "verified"


def drain_seconds(partner_ids, read_back=True):
    """Seconds from the first claim to the last row done, and to the last
    row read back (None without read-back)."""
    first_claim, last_done, last_read = time_drain(registry, partner_ids, read_back)
    return last_done - first_claim, last_read and last_read - first_claim


def raw_link_rate(label):
    """Rows per second of direct batched links of N fresh ids."""
    items = [
        spar_protocol.FaMapping(
            str(i),
            f"token:RAW{label}{i}@BENCH",
            f"phone:+2548{i:08d}",
            name=f"Raw {i}",
            phone_number=f"+2548{i:08d}",
            additional_info=({"fa_kind": "mobile"},),
        )
        for i in range(args.changes)
    ]
    started = time.monotonic()
    for start in range(0, len(items), settings.batch_size):
        client.link(items[start : start + settings.batch_size])
    rate = args.changes / (time.monotonic() - started)
    log(f"raw batched link ({label}): {rate:.0f}/s")
    return rate


def set_params(**values):
    with environment(registry) as env:
        for name, value in values.items():
            env["ir.config_parameter"].set_param(PARAM + name, value)
    # Tell the server's workers, which cache parameters, as a request would.
    registry.signal_changes()


with environment(registry) as env:
    env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")
    settings = env["g2p.spar.connector"]._settings()
    client = env["g2p.spar.connector"]._client(settings)

started = time.monotonic()
partner_ids = []
for start in range(0, args.changes, CHUNK):
    with environment(registry) as env:
        count = min(CHUNK, args.changes - start)
        partner_ids += create_registrants_with_fa(env, f"D{start:06d}-", count)
record_rate = args.changes / (time.monotonic() - started)
log(f"{args.changes} FA changes recorded ({record_rate:.0f}/s)")

raw_before = raw_link_rate("before")

server_log = Path(config_file).parent / "logs" / "bench-odoo.log"
with odoo_server(config_file, db, server_log):
    done_seconds, verified_seconds = drain_seconds(partner_ids)
    drain_rate = len(partner_ids) / done_seconds
    verified_rate = len(partner_ids) / verified_seconds
    log(f"outbox drain: {drain_rate:.0f}/s done, {verified_rate:.0f}/s read back")
    raw_after = raw_link_rate("after")
    raw_rate = (raw_before + raw_after) / 2

    latencies, second_latencies = [], []
    for sample in range(args.latency_samples):
        with environment(registry) as env:
            latency_ids = create_registrants_with_fa(env, f"L{sample:04d}-", 1)
        committed = time.monotonic()
        done = wait_until(
            lambda ids=latency_ids: outbox_counts(registry, ids)[2] == 1,
            60,
            interval=0.01,
        )
        latencies.append(done - committed)
        with environment(registry) as env:
            partner = env["res.partner"].browse(latency_ids)
            partner.registrant_ref = f"{partner.registrant_ref}M"
        committed = time.monotonic()
        done = wait_until(
            lambda pid=latency_ids[0]: last_row_verified(pid), 120, interval=0.01
        )
        second_latencies.append(done - committed)
    p95 = percentile(latencies, 0.95)
    second_p95 = percentile(second_latencies, 0.95)
    log(
        f"commit-to-verified latency: median {statistics.median(latencies):.2f}s,"
        f" p95 {p95:.2f}s; second of two rows in one commit: median"
        f" {statistics.median(second_latencies):.2f}s, p95 {second_p95:.2f}s"
    )

    set_params(batch_size="1", verify_after_push="false")
    with environment(registry) as env:
        naive_ids = create_registrants_with_fa(env, "N", args.naive)
    naive_rate = len(naive_ids) / drain_seconds(naive_ids, read_back=False)[0]
    log(f"naive, one job and one call per change: {naive_rate:.0f}/s")

if args.samples_out:
    Path(args.samples_out).write_text(
        json.dumps(
            {"latency_s": latencies, "second_change_latency_s": second_latencies}
        )
    )
print(
    f"drain_rate={drain_rate:.1f} raw_batch_rate={raw_rate:.1f}"
    f" naive_rate={naive_rate:.1f} ratio_raw={drain_rate / raw_rate:.2f}"
    f" ratio_naive={drain_rate / naive_rate:.1f} p95_latency_s={p95:.2f}"
    f" second_change_p95_s={second_p95:.2f}"
    f" verified_rate={verified_rate:.1f}"
    f" ratio_verified_raw={verified_rate / raw_rate:.2f}"
    f" raw_before={raw_before:.1f} raw_after={raw_after:.1f}"
)
