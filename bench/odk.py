"""Import 5,000 ODK submissions served like ODK Central serves them.

``bench/run odk`` runs it on a throw-away stack: ``bench/odk.py <odoo.conf> <db>``.
A loopback server answers login and the ordered, paged submission feed with
submissions templated from ones recorded from a real Central
(g2p_odk_importer_fa/tests/fixtures): same shape, same nextLink, new IDs,
names, numbers and timestamps. One import pass then runs in Odoo, as the cron
runs it, and is committed.

Prints the rate and the share of the pass spent in the ORM (everything but
fetching pages, parsing JSON and mapping fields, which are timed). Target:
odk_rate >= 200 submissions/s. Last line: ``odk_rate=<float> orm_share=<float>``.
"""

import copy
import cProfile
import os
import pstats
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api  # noqa: E402

# Set once Odoo has loaded the addon: the models call the modules of
# odoo.addons.g2p_odk_importer_fa, which must be the ones timed here.
odk_client = odk_replay = submission_mapping = None

N = int(os.environ.get("ODK_BENCH_N") or 5000)
# ODK_BENCH_PROFILE=1 prints where the import pass spends its time.
PROFILE = bool(os.environ.get("ODK_BENCH_PROFILE"))
PAGE_SIZE = 250
PASSWORD = "bench-password"


def build_feed(fixtures, n):
    """``n`` submissions made from the recorded good ones, oldest first."""
    ids = fixtures["instance_ids"]
    recorded = {s["__id"]: s for s in odk_replay.recorded_feed(fixtures)}
    templates = [recorded[ids[k]] for k in ("bank", "mobile", "iban", "email")]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    feed = []
    for i in range(n):
        sub = copy.deepcopy(templates[i % len(templates)])
        iid = f"uuid:{uuid.uuid4()}"
        sub["__id"] = sub["meta"]["instanceID"] = iid
        sub["first_name"] = f"Bench{i}"
        sub["contact_phone"] = f"+2547001{i:05d}"
        pay = sub["payment"]
        if pay.get("payment_msisdn"):
            pay["payment_msisdn"] = f"0712{i:06d}"
        if pay.get("account_number"):
            pay["account_number"] = f"9{i:09d}"
        if pay.get("payment_email"):
            pay["payment_email"] = f"bench{i}@example.org"
        stamp = start + timedelta(milliseconds=i)
        sub["__system"]["submissionDate"] = odk_client.format_timestamp(stamp)
        sub["__system"]["updatedAt"] = None
        feed.append(sub)
    return feed


def synthetic_central(fixtures, feed):
    """The replayed Central (login, token checks) serving ``feed`` instead
    of the recorded pages: ordered, paged by $top/$skip, with nextLink."""

    class SyntheticCentral(odk_replay.ReplayServer):
        def respond(self, method, path, query, body, authorization):
            status, answer = super().respond(method, path, query, body, authorization)
            if status != odk_replay.NOT_RECORDED:
                return status, answer
            top, skip = int(query["$top"]), int(query.get("$skip", 0))
            rows = feed[skip : skip + top]
            answer = {"value": rows, "@odata.count": len(feed)}
            if skip + len(rows) < len(feed):
                nxt = {k: v for k, v in query.items() if k != "$skip"}
                nxt["$skiptoken"] = "01" + rows[-1]["__id"]
                answer["@odata.nextLink"] = f"{self.url}{path}?{urlencode(nxt)}"
            return 200, answer

    return SyntheticCentral(fixtures, PASSWORD)


class Timer:
    """Accumulated wall time of wrapped plain-Python functions."""

    def __init__(self):
        self.seconds = 0.0

    def wrap(self, owner, name):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        setattr(owner, name, timed)


QUERIES = {}


def time_queries():
    """Profile mode: SQL time by statement shape."""
    original = odoo.sql_db.Cursor.execute

    def execute(self, query, params=None, log_exceptions=True):
        t0 = time.perf_counter()
        try:
            return original(self, query, params, log_exceptions)
        finally:
            key = " ".join(str(query).split())[:110]
            n, secs = QUERIES.get(key, (0, 0.0))
            QUERIES[key] = (n + 1, secs + time.perf_counter() - t0)

    odoo.sql_db.Cursor.execute = execute


def main():
    config_file, db = sys.argv[1], sys.argv[2]
    odoo.tools.config.parse_config(["-c", config_file, "-d", db])
    registry = odoo.registry(db)
    global odk_client, odk_replay, submission_mapping  # noqa: PLW0603
    from odoo.addons.g2p_odk_importer_fa.lib import odk_client, submission_mapping
    from odoo.addons.g2p_odk_importer_fa.tests import odk_replay

    if PROFILE:
        time_queries()
    fixtures = odk_replay.load_fixtures()
    feed = build_feed(fixtures, N)
    server = synthetic_central(fixtures, feed).start()
    outside = Timer()
    outside.wrap(odk_client.OdkCentralClient, "submissions_page")
    outside.wrap(odk_client.OdkCentralClient, "login")
    outside.wrap(submission_mapping, "map_submission")
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env["ir.config_parameter"].set_param("g2p_spar_fa.phone_region", "KE")
            # The default FA format (OpenG2P strategies) carries the bank's
            # code and the wallet provider's name: a benchmark's database has
            # no demo data to hold them.
            env["res.bank"].create(
                {"name": "Bench Bank", "bic": "COBADEFFXXX", "bank_code": "COBADEFF"}
            )
            env["g2p.wallet.provider"].create(
                [
                    {"code": "MPESA", "name": "M-Pesa", "kind": "mobile"},
                    {"code": "AIRTEL", "name": "Airtel Money", "kind": "mobile"},
                    {"code": "PAYMAIL", "name": "PayMail", "kind": "email"},
                ]
            )
            config = env["g2p.odk.import.config"].create(
                {
                    "name": "bench",
                    "central_url": server.url,
                    "project_id": fixtures["project_id"],
                    "form_id": fixtures["form_id"],
                    "username": fixtures["email"],
                    "password": PASSWORD,
                    "page_size": PAGE_SIZE,
                }
            )
            cr.commit()
            profile = cProfile.Profile() if PROFILE else None
            t0 = time.perf_counter()
            if profile:
                profile.enable()
            stats = config._run_import()
            cr.commit()
            elapsed = time.perf_counter() - t0
            if profile:
                profile.disable()
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
                for query, (n, secs) in sorted(
                    QUERIES.items(), key=lambda kv: -kv[1][1]
                )[:25]:
                    print(f"{secs:8.3f}s {n:6d}x {query}")
            rows = env["g2p.spar.outbox"].search_count([("channel", "=", "odk")])
            failed = config.failed_count
    finally:
        server.stop()
    if stats.get("created") != N or rows != N:
        raise SystemExit(
            f"import incomplete: {dict(stats)}, {rows} outbox rows, {failed} failed"
        )
    rate = N / elapsed
    outside_share = outside.seconds / elapsed
    print(
        f"imported {N} submissions in {elapsed:.1f}s; "
        f"outside the ORM (HTTP, JSON, mapping) {outside_share:.1%}",
        flush=True,
    )
    print(f"odk_rate={rate:.1f} orm_share={1 - outside_share:.3f}", flush=True)


if __name__ == "__main__":
    main()
