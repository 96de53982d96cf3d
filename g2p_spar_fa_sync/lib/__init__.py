"""Plain-Python helpers of the SPAR FA sync (no Odoo imports here).

``spar_protocol`` speaks the SPAR mapper protocol (envelopes, outcomes,
batching, client); ``signing`` signs request bodies.
"""

from .signing import RequestSigner, SparKeyError
from .spar_protocol import (
    ACTIONS,
    DEFAULT_TIMEOUT,
    FaMapping,
    FaResolve,
    FaUnlink,
    Outcome,
    OutcomeKind,
    SparClient,
    SparError,
    SparPermanentError,
    SparResult,
    SparTransientError,
    batch_items,
    build_envelope,
    classify_outcome,
    encode_body,
    redact,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_TIMEOUT",
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
    "batch_items",
    "build_envelope",
    "classify_outcome",
    "encode_body",
    "redact",
]
