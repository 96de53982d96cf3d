"""The SPAR ID-account mapper protocol, as the FA sync needs it: one import.

Plain Python on purpose (requests, pyjwt, cryptography; nothing from Odoo): the
sync addon calls it from queue jobs, and the test suite runs it against the real
mapper without Odoo. Callers import this module; the work is done in

* :mod:`.spar_envelope` -- request items, envelopes and the exact body bytes,
* :mod:`.signing` -- the detached JWS over those bytes,
* :mod:`.spar_outcomes` -- what each item's answer means (:class:`OutcomeKind`),
* :mod:`.spar_client` -- the HTTP exchange and whole-batch failures,
* :mod:`.redaction` -- masking FAs in messages, logs and reprs.

What the mapper does, and why the code is shaped as it is (measured on
openg2p-spar-mapper-api 1.1.0; ``tests/test_spar_live.py`` checks each point
against the real mapper):

* Every outcome of a well-formed, well-signed request comes back as HTTP 200
  with one status per item; ``header.status`` says ``succ`` even when every
  item failed. So a call returns a :class:`SparResult` of per-item
  :class:`Outcome` objects, each with an :class:`OutcomeKind` that tells the
  caller what to do next, and exceptions are reserved for whole-batch failures.
* Outcomes are matched to requests by ``reference_id``, never by position.
* The same id twice in one batch makes the mapper fail the whole batch (HTTP
  500) and drop the keep-alive connection. :func:`build_envelope` refuses such
  a batch, and the client replaces its HTTP session after any transient
  failure.
* Whole-batch failures are either :class:`SparTransientError` (send the same
  batch again later) or :class:`SparPermanentError` (sending it again cannot
  help: fix the configuration or the data).
* FA values are personal financial data: no message, log line or ``repr``
  produced here shows one in clear (see :func:`redact`).
"""

from .redaction import redact
from .signing import RequestSigner, SparKeyError
from .spar_client import (
    DEFAULT_TIMEOUT,
    SparClient,
    SparError,
    SparPermanentError,
    SparTransientError,
)
from .spar_envelope import (
    ACTIONS,
    FaMapping,
    FaResolve,
    FaUnlink,
    build_envelope,
    encode_body,
)
from .spar_outcomes import (
    JWT_INVALID,
    Outcome,
    OutcomeKind,
    SparResult,
    classify_outcome,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_TIMEOUT",
    "JWT_INVALID",
    "FaMapping",
    "FaResolve",
    "FaUnlink",
    "Outcome",
    "OutcomeKind",
    "RequestSigner",
    "SparClient",
    "SparError",
    "SparKeyError",
    "SparPermanentError",
    "SparResult",
    "SparTransientError",
    "build_envelope",
    "classify_outcome",
    "encode_body",
    "redact",
]
