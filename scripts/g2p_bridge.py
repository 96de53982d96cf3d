"""G2P Bridge beside the local stack: the payment side that resolves our FAs.

OpenG2P's G2P Bridge (PyPI 1.1.0) takes disbursement envelopes and
disbursements for beneficiary ids, resolves each id at SPAR (a signed G2P
Connect resolve, as any partner) and deconstructs the FA with regular
expressions into what a bank connector pays to. Running the real one shows
that what we push to SPAR can be paid to.

Started by ``stack.py up --bridge`` and by the system test that needs it
(never by every test run): Redis (Debian's ``redis-server``) on loopback, a
database of its own on the stack's PostgreSQL, the API, the celery workers
and the beat producers, and its example bank (the sponsor bank its
``EXAMPLE`` connector pays through), each from ``scripts/g2p_bridge_main.py``
in the virtualenv ``venv-bridge``. G2P Bridge signs its resolve requests as
``g2p-bridge`` with a key pair made here, whose public half goes to the
stack's signature verifier; callers of its API (the test, ``bridge_demo.py``)
sign as ``openg2p-pbms``, checked the same way.

Standard library only, like ``stack.py``; the helpers of ``stack.py`` (which
the tests load by path and re-point) come in as ``tools``.
"""

import json
import os
import shutil

BRIDGE_DB = "g2p_bridge"
BANK_DB = "g2p_example_bank"
BRIDGE_SENDER_ID = "g2p-bridge"
PBMS_SENDER_ID = "openg2p-pbms"
DEFAULT_PORTS = {"g2p-bridge": 8003, "example-bank": 8004, "redis": 6380}
DAEMONS = (
    "g2p-bridge-beat",
    "g2p-bridge-worker",
    "g2p-bridge-api",
    "example-bank-worker",
    "example-bank-api",
    "redis",
)
# The program's account at the example bank, funded at its creation.
SPONSOR_BANK_CODE = "EXAMPLE"
SPONSOR_ACCOUNT = "1000000001"
CURRENCY = "KES"
# How often the beat producers look for work (resolution, funds check and
# block, disbursement; the bank's payments). OpenG2P's default is an hour;
# seconds let a newcomer (and the test) watch a payment go through.
BEAT_EVERY_S = 2
# The example bank's producers hand a batch to its worker, then fail to mark
# it (PaymentStatus.PROCESSING is missing from its models): a batch not paid
# by the next beat is handed again, and paid twice. Its worker pays within a
# second; a longer beat keeps that second from ever racing the next one.
BANK_BEAT_EVERY_S = 5

# The deconstruct patterns, as OpenG2P publishes them for G2P Bridge and as
# SPAR's strategy table holds them, except for the wallet provider groups:
# the workers keep only groups named after their FAKeys enum and fail the
# whole batch on any other name (wallet_provider_name and _code are not in
# it), so the provider code is captured as mobile/email_wallet_provider and
# the name is matched without being kept.
BANK_PATTERN = (
    r"^account_number:(?P<account_number>.*)\.branch_code:(?P<branch_code>.*)"
    r"\.bank_code:(?P<bank_code>.*)\.mobile_number:(?P<mobile_number>.*)"
    r"\.email_address:(?P<email_address>.*)\.fa_type:(?P<fa_type>.*)$"
)
MOBILE_PATTERN = (
    r"^mobile_number:(?P<mobile_number>.*)\.wallet_provider_name:.*"
    r"\.wallet_provider_code:(?P<mobile_wallet_provider>.*)"
    r"\.fa_type:(?P<fa_type>.*)$"
)
EMAIL_PATTERN = (
    r"^email_address:(?P<email_address>.*)\.wallet_provider_name:.*"
    r"\.wallet_provider_code:(?P<email_wallet_provider>.*)"
    r"\.fa_type:(?P<fa_type>.*)$"
)

_API = "G2P_BRIDGE_"
_WORKERS = "G2P_BRIDGE_CELERY_WORKERS_"
_BEAT = "G2P_BRIDGE_CELERY_BEAT_"
# The bank connectors' settings, read in the workers' process.
_CONNECTORS = "G2P_BRIDGE_CELERY_PRODUCERS_"
_BANK_API = "EXAMPLE_BANK_"
_BANK_CELERY = "EXAMPLE_BANK_CELERY_"


def venv(tools):
    return tools.STATE / "venv-bridge"


def ensure_installed(tools):
    """G2P Bridge's virtualenv, made again when its requirements change."""
    requirements = tools.REPO / "scripts" / "requirements-bridge.txt"

    def install(pip):
        tools.say("installing G2P Bridge (its own virtualenv)")
        tools.run([*pip, "-r", requirements], capture_output=True)

    tools._ensure_venv(venv(tools), tools._fingerprint(requirements), install)


def reference_id(sender_id):
    """The verifier's key name for a sender, built as the mapper and G2P
    Bridge build it."""
    return "PARTNER_" + sender_id.replace("-", "_").upper()


class Bridge:
    """G2P Bridge of one stack: its ports, keys, settings and processes."""

    db = BRIDGE_DB

    def __init__(self, stack, tools):
        self.stack = stack
        self.tools = tools
        self.root = stack.root / "g2p-bridge"
        self.root.mkdir(exist_ok=True)
        self._ensure_ports()

    def _ensure_ports(self):
        """Ports of a stack made before G2P Bridge existed are added to it."""
        missing = {k: v for k, v in DEFAULT_PORTS.items() if k not in self.stack.ports}
        if not missing:
            return
        # A throw-away stack takes any free port, as for its other services.
        throwaway = self.stack.root.name != "run"
        for name, preferred in missing.items():
            self.stack.ports[name] = self.tools.free_port(
                None if throwaway else preferred
            )
        (self.stack.root / "ports.json").write_text(json.dumps(self.stack.ports))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.stack.ports['g2p-bridge']}"

    @property
    def bank_url(self):
        return f"http://127.0.0.1:{self.stack.ports['example-bank']}"

    def redis_url(self, database):
        return f"redis://127.0.0.1:{self.stack.ports['redis']}/{database}"

    def key_file(self, sender_id):
        return self.stack.keys / f"{sender_id}-private-key.pem"

    def ensure_keys(self):
        """G2P Bridge's key and PBMS's, their public halves with the verifier."""
        for sender_id in (BRIDGE_SENDER_ID, PBMS_SENDER_ID):
            public = self.stack.keys / "public" / f"{reference_id(sender_id)}.pem"
            if not (self.key_file(sender_id).is_file() and public.is_file()):
                self.tools.generate_key_pair(self.key_file(sender_id), public)

    def env(self):
        stack = self.stack

        def database(name):
            return {
                "DB_HOSTNAME": "127.0.0.1",
                "DB_PORT": str(stack.ports["pg"]),
                "DB_USERNAME": self.tools.DB_USER,
                "DB_PASSWORD": "",
                "DB_DBNAME": name,
                # At INFO the workers log every resolved FA in clear.
                "LOGGING_LEVEL": "WARNING",
            }

        def celery(redis_database):
            # G2P Bridge's workers and the bank's both take tasks from a queue
            # named g2p_bridge_celery_worker_tasks: each gets a Redis database.
            return {
                "CELERY_BROKER_URL": self.redis_url(redis_database),
                "CELERY_BACKEND_URL": self.redis_url(redis_database),
            }

        settings = {
            _API: {
                **database(BRIDGE_DB),
                "APP_HOST": "127.0.0.1",
                "APP_PORT": str(stack.ports["g2p-bridge"]),
                # Requests to the API are signature-checked like SPAR's.
                "OAUTH_TOKEN_URL": f"{stack.verifier_url}/oauth/token",
                "OAUTH_CLIENT_SECRET": stack.verifier_secret(),
                "JWT_VERIFY_URL": f"{stack.verifier_url}/jwt/verify",
            },
            _WORKERS: {
                **database(BRIDGE_DB),
                **celery(0),
                "MAPPER_RESOLVE_API_URL": f"{stack.spar_url}/sync/resolve",
                "PRIVATE_KEY": self.key_file(BRIDGE_SENDER_ID).read_text(),
                "SENDER_ID": BRIDGE_SENDER_ID,
                "BANK_FA_DECONSTRUCT_STRATEGY": BANK_PATTERN,
                "MOBILE_WALLET_DECONSTRUCT_STRATEGY": MOBILE_PATTERN,
                "EMAIL_WALLET_DECONSTRUCT_STRATEGY": EMAIL_PATTERN,
            },
            _BEAT: {
                **database(BRIDGE_DB),
                **celery(0),
                **{
                    f"{task}_FREQUENCY": str(BEAT_EVERY_S)
                    for task in (
                        "MAPPER_RESOLVE",
                        "FUNDS_AVAILABLE_CHECK",
                        "FUNDS_BLOCKED",
                        "FUNDS_DISBURSEMENT",
                        "MT940_PROCESSOR",
                    )
                },
            },
            _CONNECTORS: {
                f"{setting}_URL_EXAMPLE_BANK": f"{self.bank_url}/{route}"
                for setting, route in (
                    ("FUNDS_AVAILABLE_CHECK", "check_funds"),
                    ("FUNDS_BLOCK", "block_funds"),
                    ("FUNDS_DISBURSEMENT", "initiate_payment"),
                )
            },
            _BANK_API: {
                **database(BANK_DB),
                **celery(1),
                "APP_HOST": "127.0.0.1",
                "APP_PORT": str(stack.ports["example-bank"]),
            },
            _BANK_CELERY: {
                **database(BANK_DB),
                **celery(1),
                "PROCESS_PAYMENT_FREQUENCY": str(BANK_BEAT_EVERY_S),
                # Its payment and batching producers run at the same beat: a
                # payment run that comes before the batch is expanded counts
                # as an attempt.
                "PAYMENT_INITIATE_ATTEMPTS": "100",
                "MT940_STATEMENT_CALLBACK_URL": f"{self.url}/upload_mt940",
            },
        }
        env = dict(os.environ)
        for prefix, values in settings.items():
            env.update({prefix + key: value for key, value in values.items()})
        return env

    def _write_workers_dotenv(self, cwd):
        """The wallet patterns under the names the workers read.

        The workers' settings declare ``mobile_wallet_deconstruct_strategy``
        but their resolve helper reads ``mobile_wallet_fa_deconstruct_strategy``
        (email alike). Undeclared names are only loaded from a ``.env`` file,
        not from the environment: without this file every wallet FA resolves
        to nothing.
        """
        lines = [
            f"{_WORKERS.lower()}{kind}_wallet_fa_deconstruct_strategy='{pattern}'\n"
            for kind, pattern in (("mobile", MOBILE_PATTERN), ("email", EMAIL_PATTERN))
        ]
        (cwd / ".env").write_text("".join(lines))

    def start(self):
        stack = self.stack
        self.ensure_keys()
        for db in (BRIDGE_DB, BANK_DB):
            if not stack.db_exists(db):
                stack.psql(f"CREATE DATABASE {db}")
        redis_dir = self.root / "redis"
        redis_dir.mkdir(exist_ok=True)
        stack.start_daemon(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                *("--bind", "127.0.0.1", "--port", stack.ports["redis"]),
                *("--dir", redis_dir, "--save", "", "--appendonly", "no"),
            ],
        )
        env = self.env()
        self._start_role(
            "example-bank-api",
            "bank",
            env,
            migrate=["bank-migrate", SPONSOR_ACCOUNT, CURRENCY],
        )
        self._start_role(
            "example-bank-worker", "bank", env, args=[self.root / "bank-beat-schedule"]
        )
        self._write_workers_dotenv(self._cwd("worker"))
        self._start_role("g2p-bridge-api", "api", env, migrate=["migrate"])
        self._start_role("g2p-bridge-worker", "worker", env)
        self._start_role(
            "g2p-bridge-beat", "beat", env, args=[self.root / "beat-schedule"]
        )
        stack.wait_http("g2p-bridge-api", f"{self.url}/ping")
        stack.wait_http("example-bank-api", f"{self.bank_url}/ping")
        # The workers have no health URL; one that cannot start (broker,
        # settings) exits within the APIs' start-up time.
        for name in ("g2p-bridge-worker", "g2p-bridge-beat", "example-bank-worker"):
            if not stack.pid_of(name):
                tail = (stack.logs / f"{name}.log").read_text(errors="replace")
                self.tools.die(
                    f"{name} exited during start-up; its log ends with:\n{tail[-3000:]}"
                )

    def _cwd(self, directory):
        """A working directory per process kind: each reads its ./.env."""
        cwd = self.root / directory
        cwd.mkdir(exist_ok=True)
        return cwd

    def _start_role(self, name, directory, env, args=(), migrate=None):
        """Start the launcher's role of that name (``g2p-bridge-``/``example-``
        dropped), after its schema step when it is not running yet."""
        python = venv(self.tools) / "bin" / "python"
        main = self.tools.REPO / "scripts" / "g2p_bridge_main.py"
        cwd = self._cwd(directory)
        if migrate and not self.stack.pid_of(name):
            self.tools.run(
                [python, main, *migrate], env=env, cwd=cwd, capture_output=True
            )
        role = name.removeprefix("g2p-bridge-").removeprefix("example-")
        self.stack.start_daemon(name, [python, main, role, *args], env=env, cwd=cwd)

    def stop(self):
        for name in DAEMONS:
            self.stack.stop_daemon(name)

    def resolution_details(self, envelope_id):
        """What G2P Bridge resolved for an envelope's disbursements, read from
        its table: {beneficiary id: row as a dict}."""
        envelope = envelope_id.replace("'", "''")
        rows = self.stack.psql(
            "SELECT coalesce(json_agg(row_to_json(r)), '[]') FROM ("
            "SELECT d.beneficiary_id, d.mapper_resolved_fa,"
            " d.mapper_resolved_fa_type, d.bank_account_number, d.bank_code,"
            " d.branch_code, d.mobile_number, d.mobile_wallet_provider,"
            " d.email_address, d.email_wallet_provider"
            " FROM mapper_resolution_details d JOIN disbursements s"
            " ON s.disbursement_id = d.disbursement_id"
            f" WHERE s.disbursement_envelope_id = '{envelope}') r",
            db=self.db,
        )
        return {row["beneficiary_id"]: row for row in json.loads(rows)}

    def bank_balance(self, account_number):
        """The book balance of an account at the example bank, or None."""
        account = account_number.replace("'", "''")
        balance = self.stack.psql(
            f"SELECT book_balance FROM accounts WHERE account_number = '{account}'",
            db=BANK_DB,
        )
        return float(balance) if balance else None

    def how_to_use(self):
        return (
            f"G2P Bridge is up beside it.\n"
            f"  API:         {self.url}/docs   (requests signed as "
            f"{PBMS_SENDER_ID}, key {self.key_file(PBMS_SENDER_ID)})\n"
            f"  Database:    {BRIDGE_DB} on the stack's PostgreSQL "
            f"(table mapper_resolution_details)\n"
            f"  Example bank: {self.bank_url}/docs   (sponsor account "
            f"{SPONSOR_ACCOUNT}; database {BANK_DB}, table accounts)\n"
            f"Pay the registrants that have an FA and see what G2P Bridge "
            f"resolves from SPAR:\n  make bridge-demo\n"
        )


def start(stack, tools):
    """Install what is missing and start G2P Bridge beside ``stack``."""
    ensure_installed(tools)
    bridge = Bridge(stack, tools)
    bridge.start()
    return bridge
