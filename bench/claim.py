"""Cost of claiming a batch as the outbox grows from 10,000 to 1,000,000 rows.

A deployment keeps its outbox rows as history, so the table only grows while
the backlog stays small. Both sizes hold the same backlog (1,000 registrants
with a pending head behind their done rows) spread over 10,000 registrants;
the claim (the SKIP LOCKED query and marking the batch ``sending``) is timed
inside a savepoint that is rolled back, many times, and the median kept.

One backlog row in INTERACTIVE_EVERY is a department user's correction
(channel ``backend``): the interactive lane's claim, which takes only those
registrants, is timed the same way (``interactive_ratio``).
"""

import argparse
import statistics
import sys
import time

from _harness import environment, open_registry

parser = argparse.ArgumentParser()
parser.add_argument("config")
parser.add_argument("db")
parser.add_argument("--sizes", type=int, nargs=2, default=[10_000, 1_000_000])
parser.add_argument("--repeat", type=int, default=30)
args = parser.parse_args()
config_file, db, registry = open_registry(sys.argv)
REGISTRANTS = 10_000
BACKLOG = 1_000
BATCH = 500
INTERACTIVE_EVERY = 50


def log(message):
    print(f"[claim] {message}", flush=True)


def fill_outbox(env, size):
    """``size`` rows over the registrants, the last BACKLOG ones pending.

    Unlinks: a row that maps an ID must name an FA record, and the claim
    does not look at the operation."""
    env.cr.execute("TRUNCATE g2p_spar_outbox")
    env.cr.execute(
        """
        INSERT INTO g2p_spar_outbox
               (partner_id, sequence, operation, spar_id, fa_masked, channel,
                state, verification, attempts, create_uid, write_uid,
                create_date, write_date)
        SELECT p.ids[(g %% p.n) + 1], g / p.n + 1, 'unlink',
               'token:B' || (g %% p.n) || '@BENCH', 'phone:*****678',
               CASE WHEN g >= %(size)s - %(backlog)s
                     AND g %% %(every)s = 0 THEN 'backend' ELSE 'code' END,
               CASE WHEN g >= %(size)s - %(backlog)s THEN 'pending' ELSE 'done' END,
               'unverified', 0, 1, 1, now(), now()
          FROM generate_series(0, %(size)s - 1) AS g,
               (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
                  FROM res_partner WHERE is_registrant) AS p
        """,
        {"size": size, "backlog": BACKLOG, "every": INTERACTIVE_EVERY},
    )


def time_claim(env, lane="bulk", expected=BATCH):
    outbox = env["g2p.spar.outbox"]
    timings = []
    for _repeat in range(args.repeat):
        env.cr.execute("SAVEPOINT claim_bench")
        started = time.perf_counter()
        claimed, _more = outbox._claim(BATCH, lane)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(claimed) == expected, len(claimed)
        env.cr.execute("ROLLBACK TO SAVEPOINT claim_bench")
        env.invalidate_all()
    return statistics.median(timings)


with environment(registry) as env:
    for start in range(0, REGISTRANTS, 1000):
        env["res.partner"].create(
            [
                {"name": f"B{i}", "is_registrant": True, "registrant_ref": f"B{i}"}
                for i in range(start, start + 1000)
            ]
        )

medians, interactive = {}, {}
for size in args.sizes:
    with environment(registry) as env:
        fill_outbox(env, size)
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE g2p_spar_outbox")
        cr._cnx.autocommit = False
    with environment(registry) as env:
        medians[size] = time_claim(env)
        interactive[size] = time_claim(env, "interactive", BACKLOG // INTERACTIVE_EVERY)
    log(
        f"{size} rows: claim of {BATCH} takes {medians[size]:.2f} ms,"
        f" interactive lane {interactive[size]:.2f} ms (medians)"
    )

small, large = args.sizes
print(
    f"claim_ms_10k={medians[small]:.2f} claim_ms_1m={medians[large]:.2f}"
    f" ratio={medians[large] / medians[small]:.2f}"
    f" interactive_ms_10k={interactive[small]:.2f}"
    f" interactive_ms_1m={interactive[large]:.2f}"
    f" interactive_ratio={interactive[large] / interactive[small]:.2f}"
)
