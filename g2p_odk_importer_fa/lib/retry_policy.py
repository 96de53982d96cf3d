"""When the importer tries a failed submission again by itself.

A failed submission stays behind the watermark (the feed moved on), so the
import pass retries it from its stored data: a cause fixed outside the
submission (a bank added, the FA settings, the field mapping) then heals
without anyone clicking. Retries back off so that a
submission nobody fixes costs little: the poll interval, doubled per
attempt, at most once a day. Changing the field mapping makes every failed
submission of that form due at once (see the import configuration).
"""

from datetime import timedelta

MAX_DELAY = timedelta(days=1)


def retry_delay(attempts, interval_minutes):
    """How long after its ``attempts``-th failed attempt a submission is due."""
    base = timedelta(minutes=max(interval_minutes or 0, 1))
    # Bounded exponent: the cap is reached long before it would overflow.
    return min(base * 2 ** min(max(attempts - 1, 0), 16), MAX_DELAY)
