"""G2P Bridge beside the local stack: the payment side that resolves our FAs.

OpenG2P's G2P Bridge (PyPI 1.1.0) takes disbursement envelopes and
disbursements for beneficiary ids, resolves each id at SPAR (a signed G2P
Connect resolve, as any partner) and deconstructs the FA with regular
expressions into what a bank connector pays to. Running the real one shows
that what we push to SPAR can be paid to.

Started by ``stack.py up --bridge`` and by the system test that needs it
(never by every test run): Redis (Debian's ``redis-server``) on loopback, a
database of its own on the stack's PostgreSQL, the API, the celery workers
and the beat producers, each from ``scripts/g2p_bridge_main.py`` in the
virtualenv ``venv-bridge``. G2P Bridge signs its resolve requests as
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
BRIDGE_SENDER_ID = "g2p-bridge"
PBMS_SENDER_ID = "openg2p-pbms"
DEFAULT_PORTS = {"g2p-bridge": 8003, "redis": 6380}
DAEMONS = ("g2p-bridge-beat", "g2p-bridge-worker", "g2p-bridge-api", "redis")
# How often the beat producer looks for batches to resolve. OpenG2P's default
# is an hour; seconds let a newcomer (and the test) watch it happen.
RESOLVE_EVERY_S = 2
# The other producers talk to a sponsor bank, which this stack has not:
# once a day keeps them out of the way.
BANK_TASKS_EVERY_S = 86400

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
    def redis_url(self):
        return f"redis://127.0.0.1:{self.stack.ports['redis']}/0"

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
        database = {
            "DB_HOSTNAME": "127.0.0.1",
            "DB_PORT": str(stack.ports["pg"]),
            "DB_USERNAME": self.tools.DB_USER,
            "DB_PASSWORD": "",
            "DB_DBNAME": BRIDGE_DB,
            # At INFO the workers log every resolved FA in clear.
            "LOGGING_LEVEL": "WARNING",
        }
        celery = {
            "CELERY_BROKER_URL": self.redis_url,
            "CELERY_BACKEND_URL": self.redis_url,
        }
        settings = {
            _API: {
                **database,
                "APP_HOST": "127.0.0.1",
                "APP_PORT": str(stack.ports["g2p-bridge"]),
                # Requests to the API are signature-checked like SPAR's.
                "OAUTH_TOKEN_URL": f"{stack.verifier_url}/oauth/token",
                "OAUTH_CLIENT_SECRET": stack.verifier_secret(),
                "JWT_VERIFY_URL": f"{stack.verifier_url}/jwt/verify",
            },
            _WORKERS: {
                **database,
                **celery,
                "MAPPER_RESOLVE_API_URL": f"{stack.spar_url}/sync/resolve",
                "PRIVATE_KEY": self.key_file(BRIDGE_SENDER_ID).read_text(),
                "SENDER_ID": BRIDGE_SENDER_ID,
                "BANK_FA_DECONSTRUCT_STRATEGY": BANK_PATTERN,
                "MOBILE_WALLET_DECONSTRUCT_STRATEGY": MOBILE_PATTERN,
                "EMAIL_WALLET_DECONSTRUCT_STRATEGY": EMAIL_PATTERN,
            },
            _BEAT: {
                **database,
                **celery,
                "MAPPER_RESOLVE_FREQUENCY": str(RESOLVE_EVERY_S),
                **{
                    f"{task}_FREQUENCY": str(BANK_TASKS_EVERY_S)
                    for task in (
                        "FUNDS_AVAILABLE_CHECK",
                        "FUNDS_BLOCKED",
                        "FUNDS_DISBURSEMENT",
                        "MT940_PROCESSOR",
                    )
                },
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
        stack, tools = self.stack, self.tools
        python = venv(tools) / "bin" / "python"
        main = tools.REPO / "scripts" / "g2p_bridge_main.py"
        self.ensure_keys()
        if not stack.db_exists(BRIDGE_DB):
            stack.psql(f"CREATE DATABASE {BRIDGE_DB}")
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
        # One working directory per role: each reads ./.env.
        cwds = {}
        for role in ("api", "worker", "beat"):
            cwds[role] = self.root / role
            cwds[role].mkdir(exist_ok=True)
        self._write_workers_dotenv(cwds["worker"])
        if not stack.pid_of("g2p-bridge-api"):
            tools.run(
                [python, main, "migrate"], env=env, cwd=cwds["api"], capture_output=True
            )
        stack.start_daemon(
            "g2p-bridge-api", [python, main, "api"], env=env, cwd=cwds["api"]
        )
        stack.start_daemon(
            "g2p-bridge-worker", [python, main, "worker"], env=env, cwd=cwds["worker"]
        )
        schedule = self.root / "beat-schedule"
        stack.start_daemon(
            "g2p-bridge-beat",
            [python, main, "beat", schedule],
            env=env,
            cwd=cwds["beat"],
        )
        stack.wait_http("g2p-bridge-api", f"{self.url}/ping")
        # The workers have no health URL; one that cannot start (broker,
        # settings) exits within the API's start-up time.
        for name in ("g2p-bridge-worker", "g2p-bridge-beat"):
            if not stack.pid_of(name):
                tail = (stack.logs / f"{name}.log").read_text(errors="replace")
                tools.die(
                    f"{name} exited during start-up; its log ends with:\n{tail[-3000:]}"
                )

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

    def how_to_use(self):
        return (
            f"G2P Bridge is up beside it.\n"
            f"  API:         {self.url}/docs   (requests signed as "
            f"{PBMS_SENDER_ID}, key {self.key_file(PBMS_SENDER_ID)})\n"
            f"  Database:    {BRIDGE_DB} on the stack's PostgreSQL "
            f"(table mapper_resolution_details)\n"
            f"Pay the registrants that have an FA and see what G2P Bridge "
            f"resolves from SPAR:\n  make bridge-demo\n"
        )


def start(stack, tools):
    """Install what is missing and start G2P Bridge beside ``stack``."""
    ensure_installed(tools)
    bridge = Bridge(stack, tools)
    bridge.start()
    return bridge
