"""The system under test: the stack the README starts, as users reach it.

Inside ``make test`` (``G2P_STACK_DIR`` set) the throw-away PostgreSQL, SPAR
mapper and verifier are already up and database ``g2p_test`` holds every
addon with demo data; alone (``pytest tests/system``) the suite brings up a
stack of its own under ``.stack/system-*`` and stops it at the end
(``G2P_SYSTEM_KEEP=1`` keeps its logs).

Either way the session copies ``g2p_test`` into ``g2p_system`` and starts
Odoo on it as ``make run`` does -- prefork, two workers, the queue_job
runner -- with the FA sync pointed at a fault proxy in front of the mapper,
which logs every request for the order checks.
"""

import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
import sysharness as h


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "drill: a fault drill on the running system (slow, bounded)"
    )


# Short enough for drills to converge in seconds, long enough that a healthy
# batch is never taken for a stuck one.
SYNC_SETTINGS = {
    "batch_size": "100",
    "retry_base_seconds": "1",
    "retry_cap_seconds": "5",
    "sending_timeout_seconds": "20",
    "read_timeout_seconds": "30",
}
MANAGER_LOGIN = ("fa.manager.system", "fa-manager-pw-1")


class SlowFaultProxy(h.fault_proxy_module().FaultProxy):
    """The addon's fault proxy, able to hold each request a while.

    ``delay`` seconds between logging a request and passing it to SPAR keep
    rows in ``sending`` long enough for a drill to hit them mid-batch.
    """

    delay = 0.0

    def _forward(self, method, path, body, headers):
        if self.delay and method == "POST":
            time.sleep(self.delay)
        return super()._forward(method, path, body, headers)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack_module():
    return h.load_stack_module()


@pytest.fixture(scope="session")
def stack(stack_module):
    """The running stack: the harness's, or one of our own."""
    root = os.environ.get("G2P_STACK_DIR")
    if root and (Path(root) / "ports.json").is_file():
        yield stack_module.Stack(root)
        return
    state = stack_module.STATE
    state.mkdir(parents=True, exist_ok=True)
    own_root = Path(tempfile.mkdtemp(prefix="system-", dir=state))
    own_root.chmod(0o755)
    own = stack_module.Stack(own_root, dict.fromkeys(stack_module.DEFAULT_PORTS))
    try:
        stack_module.start_backends(own)
        yield own
    finally:
        stack_module.stop_all(own)
        if not os.environ.get("G2P_SYSTEM_KEEP"):
            shutil.rmtree(own_root, ignore_errors=True)


def _template_db(stack, stack_module):
    """``g2p_test``, made here when the Odoo tests did not run before."""
    if stack.db_exists(h.TEMPLATE_DB):
        return
    addons = os.environ.get("G2P_SYSTEM_ADDONS", "").split() or [
        a for a in stack_module.ADDONS if (h.REPO / a).is_dir()
    ]
    config = stack.odoo_config(workers=0)
    stack_module.run(
        stack.odoo_cmd(
            config,
            "-d",
            h.TEMPLATE_DB,
            "-i",
            ",".join(addons),
            "--stop-after-init",
            f"--logfile={stack.logs / 'odoo-system-template.log'}",
        ),
        env=stack.odoo_env(),
    )


def _copy_database(stack):
    stack.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname IN ('{h.SYSTEM_DB}', '{h.TEMPLATE_DB}') "
        "AND pid <> pg_backend_pid()"
    )
    stack.psql(f"DROP DATABASE IF EXISTS {h.SYSTEM_DB}")
    stack.psql(f"CREATE DATABASE {h.SYSTEM_DB} TEMPLATE {h.TEMPLATE_DB}")
    filestore = stack.root / "filestore" / "filestore"
    if (filestore / h.TEMPLATE_DB).is_dir():
        shutil.rmtree(filestore / h.SYSTEM_DB, ignore_errors=True)
        shutil.copytree(filestore / h.TEMPLATE_DB, filestore / h.SYSTEM_DB)


def _set_params(stack, params):
    """Written before Odoo starts, so that not even the demo rows already
    waiting in the copied database can reach SPAR around the proxy."""
    values = ", ".join(f"('{k}', '{v}', now(), now())" for k, v in params.items())
    stack.psql(
        "INSERT INTO ir_config_parameter (key, value, create_date, write_date) "
        f"VALUES {values} ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        db=h.SYSTEM_DB,
    )


class System:
    """Odoo of the system tests and what drives it."""

    name = "odoo-system"

    def __init__(self, stack, config, port, proxy):
        self.stack = stack
        self.config = config
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proxy = proxy
        self._admin = None
        self.lock = threading.Lock()

    def start(self):
        cmd = self.stack.odoo_cmd(
            self.config,
            "--http-port",
            self.port,
            "-d",
            h.SYSTEM_DB,
            "--db-filter",
            f"^{h.SYSTEM_DB}$",
        )
        self.stack.start_daemon(self.name, cmd, env=self.stack.odoo_env())
        self.stack.wait_http(self.name, f"{self.url}/web/login", timeout=180)

    def stop(self):
        self.stack.stop_daemon(self.name, timeout=60)

    @property
    def master_pid(self):
        return self.stack.pid_of(self.name)

    def log_tail(self, chars=4000):
        log = self.stack.logs / f"{self.name}.log"
        return log.read_text(errors="replace")[-chars:] if log.is_file() else ""

    def login(self, login, password):
        return h.Rpc(self.url, h.SYSTEM_DB, login, password)

    def admin(self):
        """A fresh admin session (sessions die with a PostgreSQL restart)."""
        return self.login("admin", "admin")

    def run_recovery_cron(self, rpc=None):
        """What "Run manually" on the recovery cron does."""
        rpc = rpc or self.admin()
        cron_id = rpc.ref("g2p_spar_fa_sync.cron_outbox_recover")
        with contextlib.suppress(h.RpcError):  # the cron worker holds it now
            rpc("ir.cron", "method_direct_trigger", [cron_id])


@pytest.fixture(scope="session")
def system(stack, stack_module):
    """Odoo (prefork, job runner) on ``g2p_system``, syncing through a proxy."""
    _template_db(stack, stack_module)
    _copy_database(stack)
    proxy = SlowFaultProxy(stack.spar_url, failure_rate=0.0, seed=6)
    params = {f"g2p_spar_fa_sync.{k}": v for k, v in SYNC_SETTINGS.items()}
    params["g2p_spar_fa_sync.spar_url"] = proxy.url
    # A Kenyan deployment: national numbers (ODK forms have them) are read so.
    params["g2p_spar_fa.phone_region"] = "KE"
    # These flows assert FA strings in the G2P Connect short style; the
    # OpenG2P strategies (a new database's default) are proven by the Odoo
    # tests and tests/test_fa_presets.py.
    params["g2p_spar_fa.fa_preset"] = "g2p_connect_short"
    _set_params(stack, params)
    base_config = stack.odoo_config(workers=2)
    config = stack.root / "odoo-system.conf"
    config.write_text(base_config.read_text())
    with proxy:
        running = System(stack, config, _free_port(), proxy)
        running.start()
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def admin(system):
    rpc = system.admin()
    # What the settings screen would show: the sync goes through the proxy.
    params = rpc("ir.config_parameter", "get_param", "g2p_spar_fa_sync.spar_url")
    assert params == system.proxy.url
    return rpc


@pytest.fixture(scope="session")
def fa_manager(system, admin):
    """A department user of the FA manager group, logged in."""
    login, password = MANAGER_LOGIN
    groups = [
        admin.ref("base.group_user"),
        admin.ref("g2p_spar_fa_base.group_fa_manager"),
    ]
    admin(
        "res.users",
        "create",
        {
            "name": "Department FA Manager",
            "login": login,
            "password": password,
            "groups_id": [(6, 0, groups)],
        },
    )
    return system.login(login, password)


@pytest.fixture(scope="session")
def spar(stack, stack_module):
    return h.Spar(
        stack.spar_url,
        stack.private_key,
        stack_module.SPAR_SENDER_ID,
        stack_module.SPAR_RECEIVER_ID,
    )


@pytest.fixture
def proxy(system):
    """The proxy, healthy again after each test whatever the test did to it."""
    yield system.proxy
    system.proxy.failure_rate = 0.0
    system.proxy.delay = 0.0
