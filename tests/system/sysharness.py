"""What the system tests share: the stack, Odoo over JSON-RPC, SPAR checks.

Nothing here is copied from the addons: ``scripts/stack.py`` (the stack),
``g2p_spar_fa_sync/tests/fault_proxy.py`` (the proxy in front of SPAR) and
``g2p_odk_importer_fa/tests/odk_replay.py`` (a replayed ODK Central) are loaded
by path, and SPAR is read with the addon's own signed client.
"""

import contextlib
import importlib.util
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
SYSTEM_DB = "g2p_system"
TEMPLATE_DB = "g2p_test"
# What SPAR holds for a row not sent yet; anything else counts as finished.
UNFINISHED = ("pending", "sending", "retry_wait")


def load_by_path(name, path):
    """Import a plain-Python file that is not on sys.path, once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_stack_module():
    """scripts/stack.py, with its virtualenv paths fixed.

    ``stack.py`` derives its state directory from ``G2P_STACK_DIR``, which
    ``make test`` sets to the throw-away stack's root for pytest; the
    virtualenvs live in the state directory above it.
    """
    module = load_by_path("g2p_stack_script", REPO / "scripts" / "stack.py")
    candidates = []
    if os.environ.get("G2P_STACK_DIR"):
        candidates.append(Path(os.environ["G2P_STACK_DIR"]).parent)
    candidates += [Path(sys.prefix).parent, REPO / ".stack"]
    for state in candidates:
        if (state / "venv-odoo").is_dir() and (state / "venv-spar").is_dir():
            module.STATE = state
            module.VENV_ODOO = state / "venv-odoo"
            module.VENV_SPAR = state / "venv-spar"
            break
    return module


def fault_proxy_module():
    return load_by_path(
        "g2p_fault_proxy", REPO / "g2p_spar_fa_sync" / "tests" / "fault_proxy.py"
    )


def odk_replay_module():
    return load_by_path(
        "g2p_odk_replay", REPO / "g2p_odk_importer_fa" / "tests" / "odk_replay.py"
    )


def replay_import_config(rpc, replay, name):
    """An ODK import configuration reading from a replayed Central; the
    cron stays out of the way (a day apart): tests import on demand."""
    fixtures = replay.fixtures
    return rpc(
        "g2p.odk.import.config",
        "create",
        {
            "name": name,
            "central_url": replay.url,
            "project_id": fixtures["project_id"],
            "form_id": fixtures["form_id"],
            "username": fixtures["email"],
            "password": replay.password,
            "page_size": fixtures["page_size"],
            "overlap_seconds": 0,
            "interval_minutes": 1440,
        },
    )


def wait_until(predicate, timeout, interval=0.5, what="condition"):
    """Poll ``predicate`` (errors count as "not yet") until it returns truthy."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
        except Exception as error:  # noqa: BLE001 - a stack being restarted
            value, last_error = None, error
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"{what}: not reached within {timeout}s{detail}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Odoo as a user sees it


class RpcError(Exception):
    def __init__(self, error):
        data = error.get("data") or {}
        self.name = data.get("name") or ""
        self.message = data.get("message") or error.get("message") or str(error)
        super().__init__(f"{self.name}: {self.message}")


class Rpc:
    """A logged-in browser session speaking Odoo's JSON-RPC."""

    def __init__(self, url, db, login, password):
        self.url = url
        self.db = db
        self.login = login
        self.http = requests.Session()
        result = self._post(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        self.uid = result["uid"]

    def _post(self, path, params, timeout=300):
        response = self.http.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=timeout,
        )
        response.raise_for_status()
        payload = response.json()
        if payload.get("error"):
            raise RpcError(payload["error"])
        return payload["result"]

    def __call__(self, model, method, *args, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        found = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        assert found, f"no record {xmlid}"
        return found[0]["res_id"]


# --------------------------------------------------------------------------
# registrants, their FAs and their outbox rows


def msisdn(drill, registrant, change):
    """A distinct valid Kenyan mobile number per drill, registrant and change."""
    return f"+2547{drill:02d}{registrant:04d}{change:02d}"


def create_registrants(rpc, count, label):
    return rpc(
        "res.partner",
        "create",
        [{"name": f"{label} {i:04d}", "is_registrant": True} for i in range(count)],
    )


def fa_vals(partner_id, number, provider="MPESA"):
    return {
        "partner_id": partner_id,
        "kind": "mobile",
        "payment_msisdn": number,
        "provider_code": provider,
    }


def change_fas(rpc, partner_ids, drill, change):
    """One transaction changing the FA of every registrant given."""
    return rpc(
        "g2p.payment.fa",
        "create",
        [
            fa_vals(pid, msisdn(drill, index, change))
            for index, pid in enumerate(partner_ids)
        ],
    )


def unfinished_count(rpc, partner_ids):
    return rpc(
        "g2p.spar.outbox",
        "search_count",
        [("partner_id", "in", partner_ids), ("state", "in", list(UNFINISHED))],
    )


def outbox_rows(rpc, partner_ids):
    return rpc(
        "g2p.spar.outbox",
        "search_read",
        [("partner_id", "in", partner_ids)],
        [
            "partner_id",
            "spar_id",
            "sequence",
            "operation",
            "state",
            "fa",
            "verification",
            "attempts",
        ],
        order="partner_id, sequence",
    )


def unverified_count(rpc, partner_ids):
    return rpc(
        "g2p.spar.outbox",
        "search_count",
        [
            ("partner_id", "in", partner_ids),
            ("state", "=", "done"),
            ("verification", "=", "unverified"),
            ("sent_operation", "in", ["link", "update"]),
        ],
    )


def wait_drained(rpc, partner_ids, timeout, recover=None):
    """Wait until no row of these registrants is left to send or to read back.

    ``recover`` (callable) is run every few seconds meanwhile, e.g. the
    recovery cron, as an operator pressing "Run now" would.
    """
    last_recover = [time.monotonic()]

    def drained():
        if recover and time.monotonic() - last_recover[0] > 5:
            last_recover[0] = time.monotonic()
            recover()
        return (
            unfinished_count(rpc, partner_ids) == 0
            and unverified_count(rpc, partner_ids) == 0
        )

    started = time.monotonic()
    wait_until(drained, timeout, interval=1, what="outbox drained")
    return time.monotonic() - started


def current_fas(rpc, partner_ids):
    """{partner id: (spar id, current FA string or None)} as Odoo has them."""
    partners = rpc(
        "res.partner",
        "read",
        partner_ids,
        ["spar_id"],
    )
    fas = rpc(
        "g2p.payment.fa",
        "search_read",
        [("partner_id", "in", partner_ids)],
        ["partner_id", "fa_string"],
    )
    current = {fa["partner_id"][0]: fa["fa_string"] for fa in fas}
    return {p["id"]: (p["spar_id"], current.get(p["id"])) for p in partners}


def fa_history(rpc, partner_ids):
    """{partner id: [FA strings in the order they were committed]}."""
    fas = rpc(
        "g2p.payment.fa",
        "search_read",
        [("partner_id", "in", partner_ids), ("active", "in", [True, False])],
        ["partner_id", "fa_string"],
        order="id",
    )
    history = defaultdict(list)
    for fa in fas:
        history[fa["partner_id"][0]].append(fa["fa_string"])
    return history


class Spar:
    """SPAR read back with signed resolve calls, straight to the mapper."""

    def __init__(self, url, private_key_file, sender_id, receiver_id):
        from g2p_spar_fa_sync.lib.spar_protocol import RequestSigner, SparClient

        self.client = SparClient(
            url,
            RequestSigner.from_file(private_key_file),
            sender_id,
            receiver_id,
            timeout=(5, 60),
        )

    def resolve(self, spar_ids):
        from g2p_spar_fa_sync.lib.spar_push import resolve_fas

        return resolve_fas(self.client, list(spar_ids), batch_size=500)


def _collapse(values):
    out = []
    for value in values:
        if not out or out[-1] != value:
            out.append(value)
    return out


def _is_subsequence(sent, committed):
    position = iter(committed)
    return all(any(value == c for c in position) for value in sent)


def check_consistency(rpc, spar, proxy, partner_ids, fa_changes_only=True):
    """Everything a user would notice, as a list of problems (empty: fine).

    * zero lost: SPAR resolves each registrant's SPAR ID to the FA Odoo
      holds now, and to nothing when the registrant has no FA any more;
    * zero duplicates: one outbox row per committed change, numbered 1..n
      without repeats, none failed or still waiting;
    * order kept: per SPAR ID, the FAs that reached SPAR through the proxy
      are, retries aside, a subsequence of the committed ones in commit
      order, ending with the last committed one.
    """
    problems = []
    current = current_fas(rpc, partner_ids)
    rows = outbox_rows(rpc, partner_ids)
    by_partner = defaultdict(list)
    for row in rows:
        by_partner[row["partner_id"][0]].append(row)
    held = spar.resolve(sorted({sid for sid, _fa in current.values() if sid}))
    history = fa_history(rpc, partner_ids) if fa_changes_only else {}
    forwarded = list(proxy.forwarded)
    # A row that replaces a mapping (to clear a payment phone) sends an
    # unlink then a link under its own reference: one change, not two.
    relinked = {ref for action, _id, _fa, ref in forwarded if action == "link"}
    sent = defaultdict(list)
    for action, spar_id, fa, ref in forwarded:
        if action in ("link", "update"):
            sent[spar_id].append(fa)
        elif action == "unlink" and ref not in relinked:
            sent[spar_id].append(None)
    for partner_id in partner_ids:
        spar_id, fa = current[partner_id]
        if held.get(spar_id) != fa:
            problems.append(
                f"lost: registrant {partner_id} ({spar_id}) has {fa!r} in Odoo "
                f"but SPAR resolves {held.get(spar_id)!r}"
            )
        mine = by_partner[partner_id]
        sequences = [r["sequence"] for r in mine]
        if sequences != list(range(1, len(mine) + 1)):
            problems.append(
                f"duplicate/gap: registrant {partner_id} rows numbered {sequences}"
            )
        bad = [(r["sequence"], r["state"]) for r in mine if r["state"] == "failed"]
        bad += [(r["sequence"], r["state"]) for r in mine if r["state"] in UNFINISHED]
        if bad:
            problems.append(f"not finished: registrant {partner_id} rows {bad}")
        committed = [r["fa"] or None for r in mine]
        if fa_changes_only:
            upserts = [r["fa"] for r in mine if r["operation"] != "unlink"]
            if upserts != history[partner_id]:
                problems.append(
                    f"rows != changes: registrant {partner_id} has "
                    f"{len(upserts)} upsert rows for {len(history[partner_id])} FAs"
                )
        arrived = _collapse(sent.get(spar_id, []))
        if arrived and not _is_subsequence(arrived, committed):
            problems.append(
                f"order: {spar_id} reached SPAR as {arrived}, committed {committed}"
            )
        if arrived and committed and arrived[-1] != committed[-1]:
            problems.append(
                f"order: last request for {spar_id} was {arrived[-1]!r}, "
                f"last committed {committed[-1]!r}"
            )
        done = [r for r in mine if r["state"] == "done"]
        if done and done[-1]["verification"] == "mismatch":
            problems.append(
                f"mismatch: registrant {partner_id}'s last done row read back "
                "something else from SPAR"
            )
    return problems


def summarize(problems, limit=15):
    head = "\n".join(problems[:limit])
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} problems:\n{head}{more}"


# --------------------------------------------------------------------------
# processes


def children(pid):
    """Direct children of a process (Linux /proc)."""
    found = set()
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.update(int(p) for p in text)
    return found


def parent_of(pid):
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    return None


def change_fas_one_by_one(rpc, partner_ids, drill, change):
    """A new FA for each registrant, one transaction (one RPC) each, as
    :func:`change_fas` does in one: the load of users at work during a drill."""
    return [
        rpc(
            "g2p.payment.fa",
            "create",
            fa_vals(pid, msisdn(drill, index, change)),
        )
        for index, pid in enumerate(partner_ids)
    ]
