"""Where a change of a registrant or its payment FA came from.

The channel is audit data (who may have typed what, through which door), so
it must come from the code that really handled the change, never from
anything a caller can send. This module only names the channels and holds a
change's description; ``g2p_spar_fa_base.change`` puts it on the database
cursor, where an RPC caller cannot reach.
"""

import dataclasses
from urllib.parse import urlsplit

BACKEND = "backend"
PORTAL = "portal"
API = "api"
ODK = "odk"
IMPORT = "import"
RPC = "rpc"
CODE = "code"
# A manager re-sending every FA in a new format: no value changed, only
# the string built from them.
FORMAT = "format"
# OpenG2P's bank accounts (g2p_spar_fa_openg2p): a backfill run, and the
# following of later bank account changes.
BACKFILL = "backfill"
BANK_ACCOUNT = "bank_account"
# (value, label) pairs, in the order the screens list them.
CHANNELS = (
    (BACKEND, "Backend"),
    (PORTAL, "Portal"),
    (API, "API"),
    (ODK, "ODK import"),
    (IMPORT, "File import"),
    (RPC, "External RPC"),
    (CODE, "Code"),
    (FORMAT, "Format change"),
    (BACKFILL, "Backfill"),
    (BANK_ACCOUNT, "Bank account"),
)


@dataclasses.dataclass(frozen=True)
class ChangeContext:
    """Channel of a change, with the reason and request reference a person
    gave for it (kept on the FA and on the outbox rows it causes)."""

    channel: str
    reason: str | None = None
    request_ref: str | None = None

    def __post_init__(self):
        if self.channel not in dict(CHANNELS):
            raise ValueError(f"unknown change channel {self.channel!r}")


def is_rpc_url(url):
    """Whether ``url`` is one of Odoo's external API endpoints (XML-RPC,
    JSON-RPC), which hand the call to the ORM without exposing the request."""
    path = urlsplit(url or "").path
    return path == "/jsonrpc" or path.startswith("/xmlrpc/")
