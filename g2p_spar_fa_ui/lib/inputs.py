"""Checks of text sent by people and clients, before the database sees it.

PostgreSQL refuses NUL bytes and lone surrogates with an error that surfaces
as an HTTP 500, and nothing else bounds a text field: a client could store
megabytes in a reason. Every channel (portal form, JSON API, RPC) checks its
input here, so the rules and the field named in the error are the same.
Problems are returned as codes; the Odoo side words them in the user's
language.
"""

import unicodedata

# Problem codes.
NOT_TEXT = "not_text"
CONTROL = "control"
TOO_LONG = "too_long"
NOT_CHOICE = "not_choice"

# Longest accepted values. A name, a code or an account number is short;
# a reason is a sentence or two.
TEXT_MAX = 256
REASON_MAX = 1000
REQUEST_REF_MAX = 128
LIMITS = {"reason": REASON_MAX, "request_ref": REQUEST_REF_MAX}
# Record ids are PostgreSQL integers.
_ID_MAX = 2**31 - 1
# Control characters (NUL, line breaks, escapes) and lone surrogates, which
# no single-line field holds and UTF-8 cannot encode.
_REFUSED_CATEGORIES = ("Cc", "Cs")


class InputProblem(ValueError):
    """``field`` cannot be accepted; ``code`` says why (``limit``: the
    longest accepted length, for :data:`TOO_LONG`)."""

    def __init__(self, field, code, limit=None):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code
        self.limit = limit


def check_text(field, value, limit=TEXT_MAX):
    """``value`` if it is acceptable text for ``field``, else InputProblem."""
    if not isinstance(value, str):
        raise InputProblem(field, NOT_TEXT)
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise InputProblem(field, CONTROL)
    if len(value) > limit:
        raise InputProblem(field, TOO_LONG, limit)
    return value


def text_problems(values, limits=None):
    """The problems of a mapping of field -> value, by field. Limits default
    to :data:`LIMITS`, then :data:`TEXT_MAX`."""
    limits = LIMITS if limits is None else limits
    problems = {}
    for field, value in values.items():
        try:
            check_text(field, value, limits.get(field, TEXT_MAX))
        except InputProblem as problem:
            problems[field] = problem
    return problems


def check_record_id(field, value):
    """The record id a form sent as ``value`` (decimal digits), else
    InputProblem. Whether such a record exists is for the caller to check."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise InputProblem(field, NOT_CHOICE)
    record_id = int(value)
    if not 0 < record_id <= _ID_MAX:
        raise InputProblem(field, NOT_CHOICE)
    return record_id
