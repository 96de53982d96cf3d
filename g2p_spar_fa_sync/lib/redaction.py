"""Masking of financial addresses for messages, logs and reprs.

FA values are personal financial data: whatever this addon shows an operator
or writes to a log goes through :func:`redact` first. It is the base addon's
one masking function (``g2p_spar_fa_base/lib/masking.py``), so an FA SPAR
holds and the FA a form shows are masked alike.
"""

import importlib

__all__ = ["redact"]

# Odoo loads this module as odoo.addons.g2p_spar_fa_sync..., the pytest suite
# as g2p_spar_fa_sync...: the base addon is found under the same prefix.
_ADDONS_PACKAGE = __name__[: __name__.index("g2p_spar_fa_sync")]
redact = importlib.import_module(f"{_ADDONS_PACKAGE}g2p_spar_fa_base.lib.masking").mask
