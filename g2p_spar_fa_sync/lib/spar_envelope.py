"""What goes on the wire to the SPAR mapper: request items, envelopes, body bytes.

The request side of the protocol, kept apart from the client so that what is
sent (and signed) can be built and checked without any network. Item values are
checked here, where a bad one costs nothing, instead of failing a whole batch
at the mapper.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .redaction import redact

__all__ = [
    "ACTIONS",
    "FaMapping",
    "FaResolve",
    "FaUnlink",
    "build_envelope",
    "encode_body",
    "require_text",
]

ACTIONS = ("link", "update", "resolve", "unlink")
PROTOCOL_VERSION = "1.0.0"


def _mask_text(value):
    """Names and phone numbers in a repr: say whether set, never show them."""
    return None if value is None else "<set>"


def require_text(field_name, value, optional=False):
    """Refuse values the mapper cannot store.

    A NUL character makes PostgreSQL fail the whole batch with HTTP 500, which
    looks transient and would be retried forever. The message names the field
    only: the value may be personal data.
    """
    if optional and (value is None or value == ""):
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field_name} must be a non-empty string")
    if "\x00" in value:
        raise ValueError(f"{field_name} must not contain a NUL character")


@dataclass(frozen=True, repr=False)
class FaMapping:
    """One ID -> FA mapping to link or update.

    ``reference_id`` is the caller's handle for this item (unique within a
    batch); the outcome comes back under it. ``id`` is the beneficiary's ID as
    SPAR knows it (OpenG2P: ``token:<value>@<id-type>``), ``fa`` the financial
    address. On update, SPAR only overwrites fields sent non-empty: a ``None``
    name keeps the stored one.
    """

    reference_id: str
    id: str
    fa: str
    name: str | None = None
    phone_number: str | None = None
    additional_info: tuple = ()
    locale: str = "en"

    def __post_init__(self):
        require_text("reference_id", self.reference_id)
        require_text("id", self.id)
        require_text("fa", self.fa)
        require_text("name", self.name, optional=True)
        require_text("phone_number", self.phone_number, optional=True)
        object.__setattr__(self, "additional_info", tuple(self.additional_info))

    def __repr__(self):
        return (
            f"FaMapping(reference_id={self.reference_id!r}, id={self.id!r}, "
            f"fa={redact(self.fa)!r}, name={_mask_text(self.name)}, "
            f"phone_number={_mask_text(self.phone_number)}, "
            f"additional_info=<{len(self.additional_info)} entries>)"
        )


@dataclass(frozen=True)
class FaUnlink:
    """One ID whose mapping must go.

    Deliberately without an FA: when an FA is sent, the mapper only deletes a
    mapping whose stored FA equals it, and answers ``rjct.id.invalid`` ("ID
    doesnt exist") otherwise, which reads exactly like "already absent" while
    the mapping is in fact still there.
    """

    reference_id: str
    id: str
    locale: str = "en"

    def __post_init__(self):
        require_text("reference_id", self.reference_id)
        require_text("id", self.id)


@dataclass(frozen=True)
class FaResolve:
    """One ID to look up. ``scope`` "details" returns the FA; "yes_no" does not."""

    reference_id: str
    id: str
    scope: str = "details"
    locale: str = "en"

    def __post_init__(self):
        require_text("reference_id", self.reference_id)
        require_text("id", self.id)
        if self.scope not in ("details", "yes_no"):
            raise ValueError("scope must be 'details' or 'yes_no'")


_ITEM_TYPES = {
    "link": FaMapping,
    "update": FaMapping,
    "unlink": FaUnlink,
    "resolve": FaResolve,
}


def _item_payload(action, item, timestamp):
    """The JSON object for one item, with the field names the mapper expects."""
    payload = {"reference_id": item.reference_id, "timestamp": timestamp, "id": item.id}
    if action in ("link", "update"):
        payload.update(
            fa=item.fa,
            name=item.name,
            phone_number=item.phone_number,
            additional_info=list(item.additional_info),
        )
    elif action == "resolve":
        payload["scope"] = item.scope
    payload["locale"] = item.locale
    return payload


def _utc_timestamp(now=None):
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _check_batch(items):
    """Refuse batches the mapper cannot take or we could not match up.

    The same ``id`` twice fails the whole batch with HTTP 500 and a dropped
    connection; the same ``reference_id`` twice would make outcomes ambiguous.
    Messages give positions only: ids and FAs are personal data.
    """
    first_by_reference = {}
    first_by_id = {}
    for position, item in enumerate(items):
        previous = first_by_reference.setdefault(item.reference_id, position)
        if previous != position:
            raise ValueError(
                f"items {previous} and {position} share a reference_id; "
                "reference_ids must be unique within a batch"
            )
        previous = first_by_id.setdefault(item.id, position)
        if previous != position:
            raise ValueError(
                f"items {previous} and {position} have the same id; SPAR fails the "
                "whole batch on that: send them in separate requests"
            )


def build_envelope(action, items, *, sender_id, receiver_id, sender_uri="", now=None):
    """The request envelope (a dict) for ``action`` over ``items``.

    Each call gets a fresh ``message_id`` and ``transaction_id`` (uuid4) and one
    ISO-8601 UTC timestamp for the header and the items. ``items`` must be
    :class:`FaMapping` for link/update, :class:`FaUnlink` for unlink,
    :class:`FaResolve` for resolve; ids and reference_ids unique in the batch.
    """
    if action not in _ITEM_TYPES:
        raise ValueError(f"unknown SPAR action {action!r}; expected one of {ACTIONS}")
    items = list(items)
    if not items:
        raise ValueError("a SPAR batch needs at least one item")
    expected = _ITEM_TYPES[action]
    for item in items:
        if not isinstance(item, expected):
            raise TypeError(
                f"{action} items must be {expected.__name__}, not {type(item).__name__}"
            )
    _check_batch(items)
    require_text("sender_id", sender_id)
    timestamp = _utc_timestamp(now)
    return {
        "header": {
            "version": PROTOCOL_VERSION,
            "message_id": str(uuid.uuid4()),
            "message_ts": timestamp,
            "action": action,
            "sender_id": sender_id,
            "sender_uri": sender_uri or "",
            "receiver_id": receiver_id or "",
            "total_count": len(items),
            "is_msg_encrypted": False,
        },
        "message": {
            "transaction_id": str(uuid.uuid4()),
            f"{action}_request": [
                _item_payload(action, item, timestamp) for item in items
            ],
        },
    }


def encode_body(envelope):
    """The exact bytes to send (and sign) for ``envelope``.

    The mapper verifies the signature over ``json.dumps(json.loads(body),
    separators=(",", ":"))``: compact, key order kept, ``ensure_ascii`` on (so
    "Zoë" travels as ``Zo\\u00eb``). Sending that very serialisation makes the
    bytes we sign and the bytes it checks identical. Content that would not
    survive that round trip unchanged (NaN, keys that collide once turned into
    strings) is refused here rather than failing as a bad signature there.
    """
    body = json.dumps(envelope, separators=(",", ":"), allow_nan=False)
    if json.dumps(json.loads(body), separators=(",", ":")) != body:
        raise ValueError(
            "the envelope does not survive a JSON round trip unchanged (e.g. "
            "additional_info has keys that collide as strings); SPAR would "
            "reject its signature"
        )
    return body.encode("ascii")
