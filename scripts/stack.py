#!/usr/bin/env python3
"""The project's front door: bring the local stack up, take it down, test it.

``up``   creates what is missing (virtualenvs, partner key pair, PostgreSQL
         cluster, SPAR mapper schema, Odoo database with our modules and demo
         data), starts PostgreSQL, the SPAR signature verifier, the SPAR mapper
         and Odoo with the queue_job runner, all on loopback, and prints the URL.
         A second ``up`` reuses everything that exists and is alive.
``down`` stops exactly the processes ``up`` started, found by pid file.
``test`` starts a throw-away stack, runs the linters, the Odoo tests of our
         modules, the pytest suite and the translation templates check
         against it, stops it, prints ``N passed, N failed`` and exits
         non-zero on any failure.
``screenshots`` runs the browser tours on a throw-away stack and copies
         what they end on into docs/screenshots/ (the README's pictures).
``i18n`` exports each addon's translatable strings to <addon>/i18n/<addon>.pot.

Only the standard library is used here: this script is what creates the
virtualenvs everything else runs in.

Longer than 500 lines on purpose: it runs before any virtualenv exists, and
the system tests and benchmarks load it by path and re-point its module-level
paths (tests/system/sysharness.py ``load_stack_module``); split into several
modules, those paths would have to be re-pointed in each of them.
"""

import argparse
import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

# Its sibling modules, also when the tests load this file by path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import g2p_bridge  # noqa: E402
import openg2p  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("G2P_STACK_DIR", REPO / ".stack"))
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo17"))
# OpenG2P's registry addons (branch 17.0-1.4), used when the tree is there.
OPENG2P_PATH = Path(os.environ.get("OPENG2P_PATH", "/opt/openg2p-registry"))
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
VENV_ODOO = STATE / "venv-odoo"
VENV_SPAR = STATE / "venv-spar"
ADDONS = [
    "g2p_spar_fa_base",
    "g2p_spar_fa_sync",
    "g2p_spar_fa_ui",
    "g2p_odk_importer_fa",
]
APT_PACKAGES = ["postgresql-15", "chromium", "redis-server"]
DB_USER = "odoo"
SPAR_DB = "spar_mapper"
SPAR_SENDER_ID = "openg2p-sr"
SPAR_RECEIVER_ID = "spar"
ODOO_LOGIN = ("admin", "admin")
DEFAULT_PORTS = {"odoo": 8069, "pg": 55433, "spar": 8000, "verifier": 8001}
# Bumped when how the virtualenvs are made changes, so that they are remade.
VENV_RECIPE = "2"
IS_ROOT = os.geteuid() == 0


def say(message):
    print(f"[stack] {message}", flush=True)


def die(message):
    print(f"[stack] ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, **kwargs):
    """Run a command, failing loudly with its output when it fails."""
    kwargs.setdefault("check", True)
    try:
        return subprocess.run([str(c) for c in cmd], **kwargs)
    except subprocess.CalledProcessError as error:
        out = (error.stdout or b"") + (error.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        die(
            f"{' '.join(map(str, cmd))} failed (exit {error.returncode})\n{out[-4000:]}"
        )


# --------------------------------------------------------------------------
# prerequisites


def check_odoo_tree():
    release = ODOO_PATH / "odoo" / "release.py"
    if not (ODOO_PATH / "odoo-bin").is_file() or not release.is_file():
        die(
            f"no Odoo tree at ODOO_PATH={ODOO_PATH} (odoo-bin and odoo/release.py "
            "are missing).\nThis project needs an Odoo 17.0 source tree: get upstream "
            "Odoo 17.0 from https://github.com/odoo/odoo (branch 17.0) or the nightly "
            "source at https://nightly.odoo.com/17.0/nightly/src/, unpack it, and set "
            "ODOO_PATH to its directory."
        )
    match = re.search(r"version_info\s*=\s*\((\d+)", release.read_text())
    if not match or match.group(1) != "17":
        die(f"ODOO_PATH={ODOO_PATH} holds Odoo {match and match.group(1)}, not 17.0")


def ensure_system_packages():
    """Debian packages the stack runs: PostgreSQL 15 server, Chromium and
    Redis (G2P Bridge's broker)."""
    missing = []
    if not (PG_BIN / "postgres").is_file():
        missing.append("postgresql-15")
    for command in ("chromium", "redis-server"):
        if not shutil.which(command):
            missing.append(command)
    if not missing:
        return
    if not IS_ROOT:
        die(f"missing Debian packages: {' '.join(missing)} (sudo apt-get install them)")
    say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env, capture_output=True)
    run(["apt-get", "install", "-y", "-qq", *missing], env=env, capture_output=True)


def _fingerprint(*paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _ensure_venv(venv, fingerprint, install):
    marker = venv / ".g2p-ready"
    if marker.is_file() and marker.read_text() == fingerprint:
        return
    if not (venv / "bin" / "python").is_file():
        say(f"creating virtualenv {venv}")
        run([sys.executable, "-m", "venv", venv])
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q"]
    install(pip)
    marker.write_text(fingerprint)


def ensure_venvs():
    scripts = REPO / "scripts"
    odoo_requirements = ODOO_PATH / "requirements.txt"

    def install_odoo(pip):
        say("installing Odoo's requirements, queue_job and our dependencies")
        requirements = STATE / "odoo-requirements.txt"
        requirements.write_text(
            # python-ldap needs system headers and only serves auth_ldap.
            "".join(
                line
                for line in odoo_requirements.read_text().splitlines(keepends=True)
                if not line.startswith("python-ldap")
            )
        )
        # A venv starts with an old setuptools whose pkg_resources cannot
        # find wheels named the new way (zope_interface-8.7.dist-info): the
        # prefork server's gevent process then dies at start, in a loop.
        run([*pip, "--upgrade", "setuptools>=70,<81", "wheel"], capture_output=True)
        run([*pip, "-r", requirements], capture_output=True)
        # queue_job's metadata asks for a distribution named odoo, which does
        # not exist here: Odoo runs from its tree.
        run([*pip, "--no-deps", "odoo-addon-queue_job==17.0.*"], capture_output=True)
        run([*pip, "-r", scripts / "requirements-dev.txt"], capture_output=True)
        run([*pip, "-e", REPO], capture_output=True)
        site = next((VENV_ODOO / "lib").glob("python3*/site-packages"))
        (site / "odoo-tree.pth").write_text(f"{ODOO_PATH}\n")

    def install_spar(pip):
        say("installing the SPAR mapper")
        run([*pip, "-r", scripts / "requirements-spar.txt"], capture_output=True)

    _ensure_venv(
        VENV_ODOO,
        _fingerprint(
            odoo_requirements, REPO / "setup.py", scripts / "requirements-dev.txt"
        )
        + str(ODOO_PATH)
        + VENV_RECIPE,
        install_odoo,
    )
    _ensure_venv(
        VENV_SPAR, _fingerprint(scripts / "requirements-spar.txt"), install_spar
    )


def generate_key_pair(private_key, public_key):
    """A fresh RSA key pair for a partner that signs requests; the private
    key (mode 600) never leaves the stack, the public one is for the verifier."""
    say(f"generating the key pair {private_key.name} for request signing")
    run(
        [
            VENV_SPAR / "bin" / "python",
            "-c",
            "import sys\n"
            "from cryptography.hazmat.primitives import serialization as s\n"
            "from cryptography.hazmat.primitives.asymmetric import rsa\n"
            "k = rsa.generate_private_key(public_exponent=65537, key_size=2048)\n"
            "open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM,"
            " s.PrivateFormat.PKCS8, s.NoEncryption()))\n"
            "open(sys.argv[2], 'wb').write(k.public_key().public_bytes("
            "s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))\n",
            private_key,
            public_key,
        ]
    )
    private_key.chmod(0o600)


def queue_job_addons_dir():
    return next((VENV_ODOO / "lib").glob("python3*/site-packages/odoo/addons"))


# --------------------------------------------------------------------------
# processes and pid files


def free_port(preferred=None):
    candidates = [preferred] if preferred else []
    for port in candidates + [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Stack:
    """One stack's state directory: ports, pid files, logs, data."""

    def __init__(self, root, ports=None):
        self.root = Path(root)
        self.pids = self.root / "pids"
        self.logs = self.root / "logs"
        self.keys = self.root / "keys"
        self.pg_data = self.root / "pg" / "data"
        self.pg_sockets = self.root / "pg" / "run"
        for path in (self.pids, self.logs, self.keys / "public"):
            path.mkdir(parents=True, exist_ok=True)
        ports_file = self.root / "ports.json"
        if ports_file.is_file():
            self.ports = json.loads(ports_file.read_text())
        else:
            self.ports = {name: free_port(p) for name, p in (ports or {}).items()}
            ports_file.write_text(json.dumps(self.ports))
        self.verifier_secret_file = self.keys / "verifier-client-secret"
        if not self.verifier_secret_file.is_file():
            self.verifier_secret_file.write_text(os.urandom(16).hex())
            self.verifier_secret_file.chmod(0o600)
        # Seals the secrets Odoo stores (see g2p_spar_fa_sync's CONFIGURE):
        # a Fernet key, kept so that a restarted stack still reads them.
        self.secret_key_file = self.keys / "g2p-secret-key"
        if not self.secret_key_file.is_file():
            self.secret_key_file.write_text(
                base64.urlsafe_b64encode(os.urandom(32)).decode()
            )
            self.secret_key_file.chmod(0o600)

    def verifier_secret(self):
        return self.verifier_secret_file.read_text()

    # ---- generic daemons

    def pid_of(self, name):
        pid_file = self.pids / f"{name}.pid"
        if not pid_file.is_file():
            return None
        pid = int(pid_file.read_text())
        return pid if pid_alive(pid) else None

    def start_daemon(self, name, cmd, env=None, cwd=None):
        if self.pid_of(name):
            say(f"{name} already running (pid {self.pid_of(name)})")
            return
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - kept by the child
        process = subprocess.Popen(
            [str(c) for c in cmd],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        (self.pids / f"{name}.pid").write_text(str(process.pid))
        say(f"started {name} (pid {process.pid}), log {self.logs / (name + '.log')}")

    def stop_daemon(self, name, timeout=20):
        pid = self.pid_of(name)
        pid_file = self.pids / f"{name}.pid"
        if pid:
            # Each daemon leads its own session: stop its children with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(pid) and time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.2)
            if pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            say(f"stopped {name} (pid {pid})")
        pid_file.unlink(missing_ok=True)

    def wait_http(self, name, url, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.pid_of(name):
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                die(f"{name} exited during start-up; its log ends with:\n{tail}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status < 500:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        die(f"{name} did not answer {url} within {timeout}s (log: {self.logs})")

    # ---- PostgreSQL

    def _as_postgres(self, cmd, **kwargs):
        if IS_ROOT:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return run(cmd, capture_output=True, **kwargs)

    def pg_start(self):
        if not (self.pg_data / "PG_VERSION").is_file():
            say(f"creating PostgreSQL cluster in {self.pg_data}")
            self.pg_data.parent.mkdir(parents=True, exist_ok=True)
            if IS_ROOT:
                shutil.chown(self.pg_data.parent, "postgres")
            self._as_postgres(
                [
                    PG_BIN / "initdb",
                    "-D",
                    self.pg_data,
                    "-U",
                    DB_USER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        self.pg_sockets.mkdir(parents=True, exist_ok=True)
        if IS_ROOT:
            shutil.chown(self.pg_sockets, "postgres")
        status = self._as_postgres(
            [PG_BIN / "pg_ctl", "-D", self.pg_data, "status"], check=False
        )
        if status.returncode == 0:
            say("PostgreSQL already running")
            return
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.ports['pg']} "
            f"-k {self.pg_sockets} -c max_connections=200 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._as_postgres(
            [
                PG_BIN / "pg_ctl",
                "-D",
                self.pg_data,
                "-l",
                self.pg_data.parent / "postgresql.log",
                "-o",
                options,
                "-w",
                "start",
            ]
        )
        say(f"started PostgreSQL on 127.0.0.1:{self.ports['pg']}")

    def pg_stop(self):
        if not (self.pg_data / "postmaster.pid").is_file():
            return
        self._as_postgres(
            [PG_BIN / "pg_ctl", "-D", self.pg_data, "-m", "fast", "-w", "stop"],
            check=False,
        )
        say("stopped PostgreSQL")

    def psql(self, sql, db="postgres"):
        out = run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                self.ports["pg"],
                "-U",
                DB_USER,
                "-d",
                db,
                "-tAc",
                sql,
            ],
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def db_exists(self, db):
        return self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"

    # ---- partner keys and SPAR

    @property
    def private_key(self):
        return self.keys / "partner_private_key.pem"

    def ensure_partner_keys(self):
        """A fresh RSA key pair per stack; the private key never leaves it."""
        reference_id = g2p_bridge.reference_id(SPAR_SENDER_ID)
        public_key = self.keys / "public" / f"{reference_id}.pem"
        if self.private_key.is_file() and public_key.is_file():
            return
        generate_key_pair(self.private_key, public_key)

    @property
    def spar_url(self):
        return f"http://127.0.0.1:{self.ports['spar']}"

    @property
    def verifier_url(self):
        return f"http://127.0.0.1:{self.ports['verifier']}"

    def spar_env(self):
        env = dict(os.environ)
        env.update(
            {
                "SPAR_MAPPER_DB_HOSTNAME": "127.0.0.1",
                "SPAR_MAPPER_DB_PORT": str(self.ports["pg"]),
                "SPAR_MAPPER_DB_USERNAME": DB_USER,
                "SPAR_MAPPER_DB_PASSWORD": "",
                "SPAR_MAPPER_DB_DBNAME": SPAR_DB,
                "SPAR_MAPPER_APP_HOST": "127.0.0.1",
                "SPAR_MAPPER_APP_PORT": str(self.ports["spar"]),
                "SPAR_MAPPER_OAUTH_TOKEN_URL": f"{self.verifier_url}/oauth/token",
                "SPAR_MAPPER_OAUTH_CLIENT_SECRET": self.verifier_secret(),
                "SPAR_MAPPER_JWT_VERIFY_URL": f"{self.verifier_url}/jwt/verify",
                "SPAR_MAPPER_LOGGING_LEVEL": "WARNING",
            }
        )
        # The mapper builds an HTTP client per request, loading the CA bundle
        # each time; it only calls loopback, so one certificate is plenty.
        bundle = self.root / "one-cert.pem"
        if not bundle.is_file():
            certifi = run(
                [
                    VENV_SPAR / "bin" / "python",
                    "-c",
                    "import certifi; print(certifi.where())",
                ],
                capture_output=True,
                text=True,
            ).stdout.strip()
            first = Path(certifi).read_text().split("-----END CERTIFICATE-----")[0]
            bundle.write_text(first + "-----END CERTIFICATE-----\n")
        env["SSL_CERT_FILE"] = str(bundle)
        return env

    def spar_start(self):
        python = VENV_SPAR / "bin" / "python"
        self.start_daemon(
            "spar-verifier",
            [
                python,
                REPO / "scripts" / "spar_verifier.py",
                "--port",
                self.ports["verifier"],
                "--keys-dir",
                self.keys / "public",
                "--client-secret",
                self.verifier_secret(),
            ],
        )
        self.wait_http("spar-verifier", f"{self.verifier_url}/ping")
        if not self.db_exists(SPAR_DB):
            self.psql(f"CREATE DATABASE {SPAR_DB}")
        mapper_dir = self.root / "spar-mapper"
        mapper_dir.mkdir(exist_ok=True)
        main = REPO / "scripts" / "spar_mapper_main.py"
        env = self.spar_env()
        if not self.pid_of("spar-mapper"):
            run([python, main, "migrate"], env=env, cwd=mapper_dir, capture_output=True)
        self.start_daemon("spar-mapper", [python, main, "run"], env=env, cwd=mapper_dir)
        self.wait_http("spar-mapper", f"{self.spar_url}/ping")

    # ---- Odoo

    def odoo_env(self):
        """What our modules read to reach this stack's SPAR (see README)."""
        env = dict(os.environ)
        env.update(
            {
                "G2P_SPAR_URL": self.spar_url,
                "G2P_SPAR_SENDER_ID": SPAR_SENDER_ID,
                "G2P_SPAR_RECEIVER_ID": SPAR_RECEIVER_ID,
                "G2P_SPAR_PRIVATE_KEY_FILE": str(self.private_key),
                "G2P_SPAR_VERIFIER_URL": self.verifier_url,
                "G2P_SPAR_KEYS_DIR": str(self.keys / "public"),
                "G2P_STACK_DIR": str(self.root),
                "TMPDIR": str(self.root / "tmp"),
            }
        )
        (self.root / "tmp").mkdir(exist_ok=True)
        return env

    def odoo_config(self, workers):
        # A git checkout of Odoo has addons/ at its top; a nightly tree has
        # them all under odoo/addons.
        candidates = [ODOO_PATH / "addons", ODOO_PATH / "odoo" / "addons"]
        addons_path = ",".join(
            str(path)
            for path in [*candidates, queue_job_addons_dir(), REPO, OPENG2P_PATH]
            if path.is_dir()
        )
        config = self.root / "odoo.conf"
        config.write_text(
            "[options]\n"
            f"addons_path = {addons_path}\n"
            f"data_dir = {self.root / 'filestore'}\n"
            "db_host = 127.0.0.1\n"
            f"db_port = {self.ports['pg']}\n"
            f"db_user = {DB_USER}\n"
            "db_password = False\n"
            "http_interface = 127.0.0.1\n"
            f"http_port = {self.ports['odoo']}\n"
            f"gevent_port = {free_port()}\n"
            "list_db = False\n"
            f"workers = {workers}\n"
            "max_cron_threads = 1\n"
            "limit_time_cpu = 600\n"
            "limit_time_real = 1200\n"
            "server_wide_modules = base,web,queue_job\n"
            # Deployment-level SPAR settings; see g2p_spar_fa_sync's CONFIGURE.
            f"g2p_spar_url = {self.spar_url}\n"
            f"g2p_spar_sender_id = {SPAR_SENDER_ID}\n"
            f"g2p_spar_receiver_id = {SPAR_RECEIVER_ID}\n"
            f"g2p_spar_private_key_file = {self.private_key}\n"
            f"g2p_secret_key = {self.secret_key_file.read_text()}\n"
            "\n[queue_job]\n"
            # The SPAR dispatch: bulk rows and, beside them, a person's
            # corrections (root.spar_interactive); a backfill of FAs
            # (g2p_spar_fa_openg2p) writes two chunks side by side. root:4
            # caps the jobs running at once.
            "channels = root:4,root.spar:2,root.spar_interactive:1,root.backfill:2\n"
        )
        return config

    def odoo_cmd(self, config, *args):
        return [
            VENV_ODOO / "bin" / "python",
            ODOO_PATH / "odoo-bin",
            "-c",
            config,
            *args,
        ]


# --------------------------------------------------------------------------
# commands


def prepare():
    check_odoo_tree()
    ensure_system_packages()
    STATE.mkdir(parents=True, exist_ok=True)
    ensure_venvs()


def start_backends(stack):
    stack.pg_start()
    stack.ensure_partner_keys()
    stack.spar_start()


def cmd_up(args):
    prepare()
    stack = Stack(STATE / "run", DEFAULT_PORTS)
    start_backends(stack)
    bridge = g2p_bridge.start(stack, sys.modules[__name__]) if args.bridge else None
    # Three: the SPAR dispatch (bulk and interactive) beside two backfill
    # chunks at most; web requests share them.
    config = stack.odoo_config(workers=3)
    db = "g2p"
    env = stack.odoo_env()
    mode = openg2p.mode_description(OPENG2P_PATH)
    say(f"mode: {mode}")
    modules = (
        openg2p.install_addons(ADDONS) if openg2p.tree_found(OPENG2P_PATH) else ADDONS
    )
    if not stack.pid_of("odoo"):
        our_modules = ",".join(f"'{a}'" for a in modules)
        installed = stack.db_exists(db) and stack.psql(
            "SELECT count(*) FROM ir_module_module "
            f"WHERE state = 'installed' AND name IN ({our_modules})",
            db=db,
        ) == str(len(modules))
        if not installed:
            say(f"creating database {db} with {', '.join(modules)} and demo data")
            run(
                stack.odoo_cmd(
                    config, "-d", db, "-i", ",".join(modules), "--stop-after-init"
                ),
                env=env,
                capture_output=True,
            )
    stack.start_daemon(
        "odoo", stack.odoo_cmd(config, "-d", db, "--db-filter", f"^{db}$"), env=env
    )
    url = f"http://127.0.0.1:{stack.ports['odoo']}"
    stack.wait_http("odoo", f"{url}/web/login", timeout=180)
    print(
        f"\nThe stack is up, {mode}.\n"
        f"  Odoo:        {url}   (login {ODOO_LOGIN[0]} / password {ODOO_LOGIN[1]})\n"
        f"  SPAR mapper: {stack.spar_url}/ping\n"
        f"  Logs:        {stack.logs}\n"
        f"Stop it with: make stop\n",
        flush=True,
    )
    if bridge:
        print(bridge.how_to_use(), flush=True)


def stop_all(stack):
    for name in ("odoo", *g2p_bridge.DAEMONS, "spar-mapper", "spar-verifier"):
        stack.stop_daemon(name)
    stack.pg_stop()


def cmd_down(_args):
    root = STATE / "run"
    if not root.is_dir():
        say("nothing to stop")
        return
    stop_all(Stack(root))


# ---- test


class Tally:
    """Counts of every check, printed as the closing line CI reads."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lines = []

    def add(self, name, passed, failed, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.lines.append(
            f"  {name}: {passed} passed, {failed} failed, {skipped} skipped"
        )


def run_linters(tally, stack):
    bin_dir = VENV_ODOO / "bin"
    checks = {
        "ruff check": [bin_dir / "ruff", "check", "."],
        "ruff format": [bin_dir / "ruff", "format", "--check", "."],
        "pylint-odoo": [
            bin_dir / "pylint",
            "--rcfile",
            REPO / ".pylintrc",
            *[a for a in [*ADDONS, *openg2p.GLUE_ADDONS] if (REPO / a).is_dir()],
        ],
        "addon READMEs": [
            sys.executable,
            REPO / "scripts" / "addon_readme.py",
            "--check",
        ],
    }
    for name, cmd in checks.items():
        result = subprocess.run(
            [str(c) for c in cmd], cwd=REPO, capture_output=True, text=True
        )
        (stack.logs / f"lint-{name.replace(' ', '-')}.log").write_text(
            result.stdout + result.stderr
        )
        ok = result.returncode == 0
        tally.add(f"lint {name}", int(ok), int(not ok))
        if not ok:
            print(f"--- {name} failed:\n{(result.stdout + result.stderr)[-6000:]}")


ODOO_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


def run_odoo_tests(tally, stack, addons, tags=None):
    config = stack.odoo_config(workers=0)
    tags = tags or ",".join(f"/{a}" for a in addons)
    log_file = stack.logs / "odoo-tests.log"
    cmd = stack.odoo_cmd(
        config,
        "-d",
        "g2p_test",
        "-i",
        ",".join(addons),
        "--test-enable",
        "--test-tags",
        tags,
        "--stop-after-init",
        "--log-level=test",
        f"--screenshots={stack.root / 'screenshots'}",
        f"--logfile={log_file}",
    )
    say(f"running Odoo tests ({tags}); log {log_file}")
    result = subprocess.run([str(c) for c in cmd], env=stack.odoo_env())
    tally_odoo_log(tally, "odoo tests", result, log_file)


def tally_odoo_log(tally, name, result, log_file):
    """Count what an Odoo test run (``result``, its process) says it ran."""
    log = log_file.read_text(errors="replace") if log_file.is_file() else ""
    matches = ODOO_RESULT.findall(log)
    skipped = len(re.findall(r" INFO \S+ \S+: skipped .+ : ", log))
    if not matches:
        print(log[-6000:])
        tally.add(f"{name} (no result line: Odoo failed to run)", 0, 1)
        return
    failed, errors, total = map(int, matches[-1])
    skipped = min(skipped, total - failed - errors)
    problems = failed + errors
    # A crash after the tests (e.g. a module failing to load) also counts.
    if result.returncode != 0 and not problems:
        problems = 1
    if problems:
        for line in log.splitlines():
            if " ERROR " in line or " CRITICAL " in line or "FAIL:" in line:
                print(line[:2000])
    tally.add(name, total - failed - errors - skipped, problems, skipped)


def run_pytest(tally, stack):
    junit = stack.logs / "pytest.xml"
    say("running pytest (tests/)")
    result = subprocess.run(
        [
            str(VENV_ODOO / "bin" / "python"),
            "-m",
            "pytest",
            "tests",
            "-q",
            "-rs",
            f"--junitxml={junit}",
        ],
        cwd=REPO,
        env=stack.odoo_env(),
    )
    if not junit.is_file():
        tally.add("pytest (did not run)", 0, 1)
        return
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (
        int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")
    )
    problems = failures + errors
    if result.returncode not in (0, 5) and not problems:
        problems = 1
    tally.add("pytest", total - failures - errors - skipped, problems, skipped)


# ---- translation templates

# Odoo stamps every export with its date: not a difference worth reporting.
POT_DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.M)


def export_pot_files(stack, target_dir):
    """Write <target_dir>/<addon>/i18n/<addon>.pot for every addon, from a
    database holding them without demo data (demo records are no product
    strings), as Odoo's --i18n-export makes them."""
    config = stack.odoo_config(workers=0)
    db = "g2p_i18n"
    env = stack.odoo_env()
    log = stack.logs / "i18n.log"
    say(f"installing our modules into {db} to export their strings; log {log}")
    run(
        stack.odoo_cmd(
            config,
            *("-d", db, "-i", ",".join(ADDONS), "--without-demo=all"),
            *("--stop-after-init", f"--logfile={log}"),
        ),
        env=env,
        capture_output=True,
    )
    for addon in ADDONS:
        pot = Path(target_dir) / addon / "i18n" / f"{addon}.pot"
        pot.parent.mkdir(parents=True, exist_ok=True)
        run(
            stack.odoo_cmd(
                config,
                *("-d", db, f"--i18n-export={pot}", f"--modules={addon}"),
                *("--stop-after-init", f"--logfile={log}"),
            ),
            env=env,
            capture_output=True,
        )


def check_pot_files(tally, stack):
    """The committed templates hold exactly the strings the code has now."""
    fresh = stack.root / "i18n"
    export_pot_files(stack, fresh)
    stale = []
    for addon in ADDONS:
        relative = Path(addon) / "i18n" / f"{addon}.pot"
        committed = REPO / relative
        current = POT_DATES.sub("", (fresh / relative).read_text())
        if not committed.is_file() or POT_DATES.sub("", committed.read_text()) != (
            current
        ):
            stale.append(str(relative))
    if stale:
        print(
            f"--- out of date: {', '.join(stale)}; "
            "refresh them with: python3 scripts/stack.py i18n"
        )
    tally.add("i18n templates", int(not stale), int(bool(stale)))


# ---- throw-away stacks


@contextlib.contextmanager
def throwaway_stack(keep=False):
    """A stack of its own on free ports, gone afterwards unless kept."""
    prepare()
    root = Path(tempfile.mkdtemp(prefix="test-", dir=STATE))
    if IS_ROOT:
        root.chmod(0o755)
    stack = Stack(root, dict.fromkeys(DEFAULT_PORTS))
    try:
        start_backends(stack)
        yield stack
    finally:
        stop_all(stack)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def report(tally, started):
    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    print(
        "\n".join(["", "Summary:", *tally.lines, f"  time: {minutes}m{seconds:02d}s"])
    )
    closing = f"{tally.passed} passed, {tally.failed} failed"
    print(closing + (f", {tally.skipped} skipped" if tally.skipped else ""), flush=True)
    sys.exit(1 if tally.failed or not tally.passed else 0)


def cmd_test(args):
    started = time.monotonic()
    tally = Tally()
    with throwaway_stack(args.keep) as stack:
        if "lint" in args.parts:
            run_linters(tally, stack)
        plain_addons = [a for a in args.addons if a not in openg2p.GLUE_ADDONS]
        if "odoo" in args.parts and plain_addons:
            run_odoo_tests(tally, stack, plain_addons)
        if "openg2p" in args.parts:
            openg2p.run_tests(
                sys.modules[__name__], tally, stack, plain_addons, args.addons
            )
        if "pytest" in args.parts:
            run_pytest(tally, stack)
        if "i18n" in args.parts:
            check_pot_files(tally, stack)
    report(tally, started)


def cmd_screenshots(args):
    """The README's pictures are what the browser tours end on."""
    started = time.monotonic()
    tally = Tally()
    target = REPO / "docs" / "screenshots"
    with throwaway_stack(args.keep) as stack:
        run_odoo_tests(
            tally, stack, ["g2p_spar_fa_ui"], tags="/g2p_spar_fa_ui:TestTours"
        )
        # The Payment tab on OpenG2P's Individual form and the payment
        # section of its registration portal, when the tree is here.
        openg2p.run_tests(
            sys.modules[__name__],
            tally,
            stack,
            ["g2p_spar_fa_ui"],
            openg2p.GLUE_ADDONS,
            tags=",".join(openg2p.SCREENSHOT_TOURS),
        )
        shots = sorted((stack.root / "screenshots").glob("*/tours/*.png"))
        if not tally.failed:
            for shot in shots:
                shutil.copyfile(shot, target / shot.name)
                say(f"updated {(target / shot.name).relative_to(REPO)}")
        tally.add("screenshots", len(shots) * (not tally.failed), 0)
    report(tally, started)


def cmd_i18n(args):
    with throwaway_stack(args.keep) as stack:
        export_pot_files(stack, REPO)
    say(f"exported {', '.join(f'{a}/i18n/{a}.pot' for a in ADDONS)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="bring the local stack up with demo data")
    up.add_argument(
        "--bridge",
        action="store_true",
        help="also start G2P Bridge beside it (README: G2P Bridge)",
    )
    commands.add_parser("down", help="stop what 'up' started")
    test = commands.add_parser("test", help="run every test on a throw-away stack")
    test.add_argument(
        "--parts",
        nargs="+",
        default=["lint", "odoo", "openg2p", "pytest", "i18n"],
        choices=["lint", "odoo", "openg2p", "pytest", "i18n"],
        help="run only some parts (default: all)",
    )
    test.add_argument(
        "--addons",
        nargs="+",
        default=[*ADDONS, *openg2p.GLUE_ADDONS],
        choices=[*ADDONS, *openg2p.GLUE_ADDONS],
        help="install and test only these addons (and their dependencies); "
        "the OpenG2P glue addons are tested in the openg2p part only",
    )
    screenshots = commands.add_parser(
        "screenshots", help="refresh docs/screenshots from the browser tours"
    )
    i18n = commands.add_parser(
        "i18n", help="export each addon's translatable strings to i18n/<addon>.pot"
    )
    for command in (test, screenshots, i18n):
        command.add_argument(
            "--keep", action="store_true", help="keep the throw-away stack's logs"
        )
    args = parser.parse_args()
    {
        "up": cmd_up,
        "down": cmd_down,
        "test": cmd_test,
        "screenshots": cmd_screenshots,
        "i18n": cmd_i18n,
    }[args.command](args)


if __name__ == "__main__":
    main()
