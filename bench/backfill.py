"""Backfill of payment FAs from 100,000 OpenG2P bank accounts, while the
outbox drains into SPAR.

``bench/run backfill`` runs it on a throw-away stack with OpenG2P's registry
(needs the OpenG2P tree, see the README): ``bench/backfill.py <odoo.conf> <db>``.

1. N registrants (SQL; their SPAR IDs computed by the model) get a bank
   account each (one SQL statement); one in a hundred at a bank without a
   BIC or bank code, which the default bank FA format needs: invalid.
2. preview_s: the wizard's preview over all of them, timed.
3. Odoo starts (prefork, job runner); the backfill is started as the wizard
   starts it: chunks of 1,000 registrants, one queue job each. While the
   chunk jobs write FAs and outbox rows, the dispatch jobs send the rows to
   the real SPAR. backfill_rate: FAs written into the outbox per second, from
   the start to the last chunk done. drained_during: rows SPAR had accepted by
   then; drain_rate: rows per second from the start until SPAR accepted
   every row.
4. The backfill runs a second time: rerun_created must be 0.

Target: backfill_rate >= 1,000 FAs/s. Last line:
``backfill_rate=<float> registrants=<int> created=<int> invalid=<int> ...``.
"""

import argparse
import sys
import time
from pathlib import Path

from _harness import environment, odoo_server, open_registry, wait_until

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("db")
parser.add_argument("--registrants", type=int, default=100_000)
parser.add_argument("--chunk-size", type=int, default=1000)
args = parser.parse_args()
config_file, db, registry = open_registry(sys.argv)

CREATE_BATCH = 5000
INVALID_EVERY = 100


def log(message):
    print(f"[backfill] {message}", flush=True)


def create_registrants():
    """Registrants with one bank account each; returns their ids.

    Rows are inserted by SQL (the ORM creates OpenG2P registrants at a few
    hundred a second), then the SPAR ID, a computed field, is computed by
    the model itself, whatever it is made from.
    """
    with environment(registry) as env:
        env.cr.execute(
            """
            INSERT INTO res_partner (
                name, complete_name, active, type, is_company, company_id,
                lang, is_registrant, is_group, registrant_ref,
                create_uid, write_uid, create_date, write_date)
            SELECT 'Bench ' || i, 'Bench ' || i, true, 'contact', false, %s,
                   'en_US', true, false, 'BF' || lpad(i::text, 7, '0'),
                   1, 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM generate_series(1, %s) AS i
         RETURNING id
            """,
            (env.company.id, args.registrants),
        )
        partner_ids = sorted(row[0] for row in env.cr.fetchall())
        env.cr.execute(
            "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
            (partner_ids,),
        )
    spar_id = registry["res.partner"]._fields["spar_id"]
    for start in range(0, len(partner_ids), CREATE_BATCH):
        with environment(registry) as env:
            partners = env["res.partner"].browse(
                partner_ids[start : start + CREATE_BATCH]
            )
            env.add_to_compute(spar_id, partners)
            partners.flush_recordset(["spar_id"])
    with environment(registry) as env:
        banks = env["res.bank"].create(
            [
                {"name": "Bench Bank", "bic": "COBADEFFXXX", "bank_code": "COBA"},
                {"name": "No BIC Bank"},
            ]
        )
        env.cr.execute(
            """
            INSERT INTO res_partner_bank (
                partner_id, bank_id, sequence, active, acc_number,
                sanitized_acc_number, acc_holder_name, allow_out_payment,
                company_id, create_uid, write_uid, create_date, write_date)
            SELECT p.id, CASE WHEN p.id %% %s = 0 THEN %s ELSE %s END, 10, true,
                   lpad(p.id::text, 10, '0'), lpad(p.id::text, 10, '0'), p.name,
                   false, p.company_id, 1, 1, now() AT TIME ZONE 'UTC',
                   now() AT TIME ZONE 'UTC'
              FROM res_partner p
             WHERE p.id = ANY(%s)
            """,
            (INVALID_EVERY, banks[1].id, banks[0].id, partner_ids),
        )
    return partner_ids


def chunk_states(run_id):
    with environment(registry) as env:
        env.cr.execute(
            "SELECT count(*) FILTER (WHERE state = 'done'), count(*)"
            " FROM g2p_payment_fa_backfill_chunk WHERE backfill_id = %s",
            (run_id,),
        )
        return env.cr.fetchone()


def outbox_done():
    """(rows, rows SPAR accepted) in the outbox."""
    with environment(registry) as env:
        env.cr.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'done')"
            " FROM g2p_spar_outbox"
        )
        return env.cr.fetchone()


def as_admin(env):
    """The administrator, as who starts the wizard (the jobs run as them)."""
    return env(user=env.ref("base.user_admin"))


def run_backfill():
    """Start a backfill as the wizard does; wait for its chunks; return
    (run id, monotonic start, monotonic end)."""
    started = time.monotonic()
    with environment(registry) as env:
        run = as_admin(env)["g2p.payment.fa.backfill"]._start(
            "bank", chunk_size=args.chunk_size
        )
        run_id = run.id
    timeout = 60 + args.registrants / 50
    finished = wait_until(lambda: len(set(chunk_states(run_id))) == 1, timeout, 0.2)
    return run_id, started, finished


def run_totals(run_id):
    with environment(registry) as env:
        run = env["g2p.payment.fa.backfill"].browse(run_id)
        return run.created_count, run.invalid_count, run.invalid_summary


started = time.monotonic()
partner_ids = create_registrants()
log(
    f"{len(partner_ids)} registrants with bank accounts"
    f" in {time.monotonic() - started:.0f}s"
)

with environment(registry) as env:
    wizard = as_admin(env)["g2p.payment.fa.backfill.wizard"].create({"source": "bank"})
    started = time.monotonic()
    wizard.action_preview()
    preview_s = time.monotonic() - started
    log(
        f"preview in {preview_s:.1f}s: {wizard.create_count} to create, "
        f"{wizard.invalid_count} invalid ({wizard.invalid_summary})"
    )

server_log = Path(config_file).parent / "logs" / "bench-odoo.log"
with odoo_server(config_file, db, server_log):
    run_id, backfill_started, backfill_end = run_backfill()
    seconds = backfill_end - backfill_started
    rows, drained_during = outbox_done()
    created, invalid, reasons = run_totals(run_id)
    backfill_rate = created / seconds
    log(
        f"backfill: {created} FAs into the outbox in {seconds:.1f}s "
        f"({backfill_rate:.0f}/s), {invalid} invalid; SPAR accepted "
        f"{drained_during} rows meanwhile"
    )
    drain_end = wait_until(lambda: outbox_done()[1] == rows, 1800, 0.5)
    drain_rate = rows / (drain_end - backfill_started)
    log(
        f"every row accepted by SPAR {drain_end - backfill_started:.0f}s"
        " after the start"
    )
    rerun_id, rerun_started, rerun_end = run_backfill()
    rerun_s = rerun_end - rerun_started
    rerun_created = run_totals(rerun_id)[0]
    log(f"second run: {rerun_created} FAs created in {rerun_s:.1f}s")

print(
    f"backfill_rate={backfill_rate:.1f} registrants={len(partner_ids)}"
    f" created={created} invalid={invalid} backfill_s={seconds:.1f}"
    f" drained_during={drained_during} drain_rate={drain_rate:.1f}"
    f" preview_s={preview_s:.1f}"
    f" rerun_created={rerun_created} rerun_s={rerun_s:.1f}"
)
