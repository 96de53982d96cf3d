"""The one way FA values and FA strings are masked, wherever they are shown.

A form for low-trust users, an error quoting a rejected value, a log line, a
repr or the outbox monitor's "what SPAR holds" all mask through :func:`mask`,
so a value is hidden the same way on every screen and in every log, and a
person comparing two masked strings compares like with like.

It understands the layouts the FA presets produce:

* OpenG2P strategies, ``key:value.key:value...fa_type:KIND``: the values of
  the personal keys (account number, mobile number, e-mail address) are
  masked; codes, provider names and the FA type stay readable;
* G2P Connect short strings, ``scheme:value@provider``: the scheme and the
  provider stay, the value is masked;
* anything else: masked up to its last ``@``, what follows kept.

An error quoting a rejected input masks it whole with :func:`mask_value`:
a typed value may look like any layout.

A masked value shows a fixed-width mask and at most its last 3 characters,
never more than a quarter of it: the length does not leak, and a short value
shows nothing.
"""

import re

__all__ = ["NONE", "OPENG2P_KEYS", "SECRET_KEYS", "mask", "mask_value"]

MASK = "*****"
#: What :func:`mask` shows for no value at all.
NONE = "<none>"
#: The keys of OpenG2P's FA strategies (and G2P Bridge's patterns).
OPENG2P_KEYS = (
    "account_number",
    "branch_code",
    "bank_code",
    "mobile_number",
    "email_address",
    "wallet_provider_name",
    "wallet_provider_code",
    "fa_type",
)
#: The keys whose values identify a person.
SECRET_KEYS = ("account_number", "mobile_number", "email_address")

_KEYED = re.compile(r"(?:^|\.)(?:" + "|".join(OPENG2P_KEYS) + "):")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]{0,31}")


def mask_value(value):
    """One value masked whole: what an error may quote of a rejected input,
    whatever it looks like."""
    keep = min(3, len(value) // 4)
    return MASK + (value[len(value) - keep :] if keep else "")


def _mask_address(value):
    """A value before an ``@`` masked, what follows kept: an e-mail's domain
    or a short string's bank, the provider rather than the person."""
    local, at, provider = value.rpartition("@")
    if not at:
        return mask_value(value)
    return f"{mask_value(local)}@{provider}"


def _mask_keyed(text):
    """``text`` in the OpenG2P layout with its personal values masked, or
    None when it is not in that layout."""
    separators = list(_KEYED.finditer(text))
    if not separators or separators[0].start() != 0:
        return None
    parts = []
    for index, separator in enumerate(separators):
        end = (
            separators[index + 1].start() if index + 1 < len(separators) else len(text)
        )
        key = separator.group().strip(".:")
        value = text[separator.end() : end]
        if key in SECRET_KEYS and value:
            value = _mask_address(value)
        parts.append(separator.group() + value)
    return "".join(parts)


def mask(text):
    """``text`` (an FA string of any preset, or a bare value) with whatever
    identifies a person masked."""
    if text is None or text == "" or text is False:
        return NONE
    text = str(text)
    keyed = _mask_keyed(text)
    if keyed is not None:
        return keyed
    scheme, colon, value = text.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        return _mask_address(text)
    return f"{scheme}:{_mask_address(value)}"
