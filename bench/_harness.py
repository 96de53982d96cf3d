"""What the benchmarks share: an Odoo environment, an Odoo server, timing.

Run by bench/run inside the Odoo virtualenv with ``<odoo.conf> <db>`` as the
first arguments.
"""

import contextlib
import subprocess
import sys
import time
import urllib.request
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
def odoo_server(config_file, db, log_file):
    """Odoo with its job runner, as ``make run`` starts it (prefork, three
    workers: jobs run in parallel processes, not threads sharing the GIL)."""
    odoo_bin = Path(odoo.__path__[0]).parent / "odoo-bin"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, str(odoo_bin), "-c", config_file, "-d", db, "--workers=3"],
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
        yield
    finally:
        process.terminate()
        process.wait(60)


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
