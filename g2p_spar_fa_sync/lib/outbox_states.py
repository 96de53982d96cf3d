"""The outbox row's life, defined once: states, moves, and the SQL that finds them.

Every piece of code that moves a row (the claim, a job's result, a manager's
retry or cancel, the recovery cron, a newer row superseding an older one, the
read-back's verdict) names its move here, and the SQL it runs takes its state
lists from here. The hot paths stay single SQL statements; they only stop
spelling state names themselves, so a new state or move is a change in one
place. ``readme/STATES.md`` holds a table generated from :data:`MOVES`
(``python3 -m g2p_spar_fa_sync.lib.outbox_states --write``), and a test keeps
the two in step.
"""

import re
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

# Delivery state: where the row is on its way to SPAR. (value, label)
STATES = (
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("retry_wait", "Waiting to retry"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("superseded", "Superseded"),
    ("cancelled", "Cancelled"),
)
PENDING, SENDING, RETRY_WAIT, DONE, FAILED, SUPERSEDED, CANCELLED = (
    value for value, _label in STATES
)

# Read-back verdict of a done row: what SPAR was found holding.
VERIFICATIONS = (
    ("unverified", "Not verified"),
    ("verified", "Verified in SPAR"),
    ("mismatch", "SPAR holds something else"),
    ("replaced", "Replaced before the check"),
)
UNVERIFIED, VERIFIED, MISMATCH, REPLACED = (value for value, _label in VERIFICATIONS)

# A registrant's rows in these states still have to reach SPAR (or a person);
# the oldest of them is the registrant's head.
UNFINISHED = (PENDING, SENDING, RETRY_WAIT, FAILED)
# Rows that wait for a job: the claim takes them once due.
WAITING = (PENDING, RETRY_WAIT)
# Nothing moves a row out of these; it no longer needs the name it sends.
FINAL = (DONE, SUPERSEDED, CANCELLED)


class Move(NamedTuple):
    """A named move of one field of a row from some values to others."""

    field: str
    sources: tuple
    targets: tuple


MOVES = MappingProxyType(
    {
        "claim": Move("state", WAITING, (SENDING,)),
        "result": Move("state", (SENDING,), (DONE, RETRY_WAIT, FAILED)),
        "recover": Move("state", (SENDING,), (PENDING,)),
        "retry": Move("state", (FAILED, RETRY_WAIT), (PENDING,)),
        "cancel": Move("state", (PENDING, RETRY_WAIT, FAILED), (CANCELLED,)),
        "supersede": Move("state", WAITING, (SUPERSEDED,)),
        "read_back": Move(
            "verification", (UNVERIFIED,), (VERIFIED, MISMATCH, REPLACED)
        ),
    }
)

# The state a row takes for each outcome of a push (spar_push.PushResult).
STATE_AFTER_PUSH = MappingProxyType(
    {"done": DONE, "retry": RETRY_WAIT, "failed": FAILED}
)


def allowed(field, source, target):
    """Whether some move takes ``field`` from ``source`` to ``target``
    (staying put is no move and always allowed)."""
    return source == target or any(
        move.field == field and source in move.sources and target in move.targets
        for move in MOVES.values()
    )


def sources(move_name):
    return MOVES[move_name].sources


def sql_in(column, values):
    """``column IN ('a', 'b')`` for SQL that must spell its values, such as
    a partial index's WHERE (which a query must match literally to use it).
    Only this module's names go in, so quoting is checked, not escaped."""
    for value in values:
        if not re.fullmatch(r"[a-z_]+", value):
            raise ValueError(f"not a state name: {value!r}")
    if len(values) == 1:
        return f"{column} = '{values[0]}'"
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


# SQL fragments on the outbox aliased ``o``.
#
# Lanes: who waits for a row. A person at a screen (a department user in the
# backend, an enumerator at the portal, a caller of the JSON API answering
# one) corrects one registrant and waits to see it in SPAR; an import, a
# backfill, an external RPC script or code writes thousands and nobody waits
# for any one of them. The interactive lane has a dispatch job of its own (its
# queue_job channel, its capacity) that claims only registrants with an
# interactive row waiting, so it never queues behind a bulk backlog; bulk
# keeps its channel and takes every head in id order. The lane is the row's
# channel, named by g2p_spar_fa_base.lib.change; a channel not listed here
# is bulk.
LANES = (("interactive", "Interactive"), ("bulk", "Bulk"))
INTERACTIVE, BULK = (value for value, _label in LANES)
# bank_account: a department user correcting a registrant's bank account
# on OpenG2P's Individual form (g2p_spar_fa_openg2p follows it) waits too.
INTERACTIVE_CHANNELS = ("backend", "portal", "api", "bank_account")


def lane_of(channel):
    return INTERACTIVE if channel in INTERACTIVE_CHANNELS else BULK


def _interactive_waiting(alias):
    """A row of the interactive lane waiting to be claimed (the predicate of
    the partial index g2p_spar_outbox_interactive_idx)."""
    return (
        f"{sql_in(alias + 'state', WAITING)}"
        f" AND {sql_in(alias + 'channel', INTERACTIVE_CHANNELS)}"
    )


# A row is claimable when it waits, is due, and is its registrant's head.
# clock_timestamp(), not now(): a long transaction must not see rows as not
# yet due because its start time lags behind.
CLAIMABLE_SQL = f"""
    {sql_in("o.state", sources("claim"))}
    AND (o.next_attempt_at IS NULL
         OR o.next_attempt_at <= clock_timestamp() AT TIME ZONE 'UTC')
    AND NOT EXISTS (
        SELECT 1 FROM g2p_spar_outbox e
         WHERE e.partner_id = o.partner_id
           AND e.sequence < o.sequence
           AND {sql_in("e.state", UNFINISHED)})
"""
UNFINISHED_SQL = sql_in("o.state", UNFINISHED)
# A head the interactive lane claims: its registrant has an interactive row
# waiting, the head itself or a later row. An older bulk row is the head
# then, and goes first: the interactive row pulls it along, in order.
INTERACTIVE_HEAD_SQL = f"""
    {CLAIMABLE_SQL}
    AND o.partner_id IN (
        SELECT i.partner_id FROM g2p_spar_outbox i
         WHERE {_interactive_waiting("i.")})
"""
INTERACTIVE_SQL = sql_in("o.channel", INTERACTIVE_CHANNELS)


def _awaiting_read_back(alias):
    """A row SPAR accepted whose mapping has not been read back yet."""
    return (
        f"{alias}state = '{DONE}'"
        f" AND {sql_in(alias + 'verification', sources('read_back'))}"
        f" AND {alias}sent_operation IN ('link', 'update')"
    )


# The same predicate as the partial index g2p_spar_outbox_unverified_idx.
AWAITING_READ_BACK_SQL = _awaiting_read_back("o.")

# Partial indexes (name -> (expressions, WHERE)) that keep the claim and the
# read-back as cheap as the backlog, not the table.
INDEXES = MappingProxyType(
    {
        "g2p_spar_outbox_waiting_idx": (("id",), sql_in("state", WAITING)),
        "g2p_spar_outbox_unfinished_idx": (
            ("partner_id", "sequence"),
            sql_in("state", UNFINISHED),
        ),
        "g2p_spar_outbox_done_idx": (
            ("partner_id", "sequence DESC"),
            sql_in("state", (DONE,)),
        ),
        "g2p_spar_outbox_retry_at_idx": (
            ("next_attempt_at",),
            sql_in("state", (RETRY_WAIT,)),
        ),
        "g2p_spar_outbox_unverified_idx": (("id",), _awaiting_read_back("")),
        "g2p_spar_outbox_interactive_idx": (
            ("partner_id",),
            _interactive_waiting(""),
        ),
    }
)

TABLE_BEGIN = "<!-- moves: generated from lib/outbox_states.py -->"
TABLE_END = "<!-- end of moves -->"


def moves_markdown():
    """The moves as the Markdown table STATES.md carries."""
    lines = [
        TABLE_BEGIN,
        "| move | field | from | to |",
        "| --- | --- | --- | --- |",
    ]
    for name, move in MOVES.items():
        lines.append(
            f"| {name} | `{move.field}` | "
            + ", ".join(f"`{s}`" for s in move.sources)
            + " | "
            + ", ".join(f"`{t}`" for t in move.targets)
            + " |"
        )
    lines.append(TABLE_END)
    return "\n".join(lines)


STATES_MD = Path(__file__).resolve().parent.parent / "readme" / "STATES.md"


def with_moves_table(text):
    """``text`` (STATES.md) with its moves table regenerated."""
    begin, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
    if begin < 0 or end < 0:
        raise ValueError(f"{STATES_MD.name} has no moves table markers")
    return text[:begin] + moves_markdown() + text[end + len(TABLE_END) :]


if __name__ == "__main__":
    import sys

    current = STATES_MD.read_text()
    fresh = with_moves_table(current)
    if "--write" in sys.argv:
        STATES_MD.write_text(fresh)
    elif fresh != current:
        sys.exit(f"{STATES_MD} is out of date: run with --write")
