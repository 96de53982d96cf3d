# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The change context: which channel a change came through, and why.

Trusted code (a controller, a wizard, an importer) declares the change it is
making with :func:`recording`; everything written meanwhile (FAs, outbox
rows) reads it back with :func:`current_change`. It lives on the database
cursor, not in ``env.context``: a caller of Odoo's RPC can set any context
key, but not the cursor. Without a declared change, the channel is inferred
from how the code was reached.
"""

import contextlib
import functools
import threading

from odoo.http import request

from .lib.change import (  # noqa: F401 - the API of this module
    API,
    BACKEND,
    BACKFILL,
    BANK_ACCOUNT,
    CHANNELS,
    CODE,
    FORMAT,
    IMPORT,
    ODK,
    PORTAL,
    RPC,
    ChangeContext,
    is_rpc_url,
)

_CACHE_KEY = "g2p_spar_fa_base.change"


@contextlib.contextmanager
def recording(env, change):
    """Make ``change`` the current change of ``env``'s transaction for the
    duration of the block; nested blocks restore the outer change."""
    if not isinstance(change, ChangeContext):
        raise TypeError("recording() takes a ChangeContext")
    cache = env.cr.cache
    outer = cache.get(_CACHE_KEY)
    cache[_CACHE_KEY] = change
    try:
        yield change
    finally:
        if outer is None:
            cache.pop(_CACHE_KEY, None)
        else:
            cache[_CACHE_KEY] = outer


def on_channel(channel):
    """Decorate a model method so that everything it writes is recorded as
    a change through ``channel``."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with recording(self.env, ChangeContext(channel)):
                return method(self, *args, **kwargs)

        return wrapper

    return decorate


def current_change(env):
    """The change declared by :func:`recording`, else one on the inferred
    channel, without reason or request reference."""
    return env.cr.cache.get(_CACHE_KEY) or ChangeContext(_inferred_channel())


def _inferred_channel():
    """The channel of code that declared none, from how it was reached.

    An HTTP request of a logged-in internal user is the web client (backend),
    of a portal user the portal; a request without a user (the job runner) is
    code. Odoo's XML-RPC and JSON-RPC endpoints hide the request from the
    ORM, but the worker thread still carries the URL it serves.
    """
    if request:
        user = request.env.user
        if user and user._is_internal():
            return BACKEND
        if user and user._is_portal():
            return PORTAL
        return CODE
    if is_rpc_url(getattr(threading.current_thread(), "url", None)):
        return RPC
    return CODE
