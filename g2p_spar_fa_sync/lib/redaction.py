"""Masking of financial addresses for messages, logs and reprs.

FA values are personal financial data: whatever this suite shows an operator or
writes to a log goes through :func:`redact` first.
"""

import re

__all__ = ["redact"]

_MASK = "*****"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]{0,31}")


def redact(fa):
    """An FA with its personal part masked, for messages and logs.

    Keeps what helps an operator and says little about the person: the scheme
    (``phone``, ``account``...), the provider after the last ``@`` (a bank or
    BIC, not personal) and the last 3 characters at most (never more than a
    quarter) of the personal part. The mask has a fixed width, so the length
    does not leak either. ``phone:+254712345678`` -> ``phone:*****678``;
    ``account:12345678@b1.bank.bank_acc`` -> ``account:*****78@b1.bank.bank_acc``.
    """
    if fa is None or fa == "":
        return "<none>"
    fa = str(fa)
    scheme, colon, value = fa.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        scheme, colon, value = "", "", fa
    local, at, provider = value.rpartition("@")
    if not at:
        local, provider = value, ""
    keep = min(3, len(local) // 4)
    tail = local[len(local) - keep :] if keep else ""
    return f"{scheme}{colon}{_MASK}{tail}{at}{provider}"
