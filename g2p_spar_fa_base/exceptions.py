# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Errors that quote FA values, and keeping those values out of the logs.

The person who typed a bad account number should see it quoted back; the
log and every stored error text must not hold it. An error that quotes a
value therefore carries a ``redacted`` twin of its message, and whatever
logs or stores an error writes :func:`safe_message` of it.
"""

import logging

from odoo.exceptions import ValidationError

from .lib.fa_format import safe_message

__all__ = [
    "FaInputError",
    "RedactingLogFilter",
    "install_log_redaction",
    "safe_message",
]


class FaInputError(ValidationError):
    """A ValidationError whose message may quote FA values.

    ``redacted`` is the same message with every FA value masked.
    """

    def __init__(self, message, redacted):
        super().__init__(message)
        self.redacted = redacted


class RedactingLogFilter(logging.Filter):
    """Log the redacted text of errors that carry one.

    Odoo logs every UserError a request raises as the bare exception object
    (``odoo.http``, ``Application.__call__``), so the message it shows the
    user would land in the log as well. The record is changed in place, so
    every handler of every parent logger sees the redacted text too.
    """

    def filter(self, record):
        if hasattr(record.msg, "redacted"):
            record.msg = safe_message(record.msg)
        if isinstance(record.args, tuple) and any(
            hasattr(arg, "redacted") for arg in record.args
        ):
            record.args = tuple(
                safe_message(arg) if hasattr(arg, "redacted") else arg
                for arg in record.args
            )
        return True


def install_log_redaction(logger_name="odoo.http"):
    """Add the filter to ``logger_name`` once, however often this runs."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactingLogFilter) for f in logger.filters):
        logger.addFilter(RedactingLogFilter())
