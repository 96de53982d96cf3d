"""Retry delays for transient SPAR failures.

Exponential growth spreads retries out while SPAR is down; the random factor
("jitter") keeps the many registrants that failed together from all coming
back in the same second when it returns; the cap bounds how stale an FA can
get once SPAR is healthy again.
"""

import random


def retry_delay(attempt, base_seconds, cap_seconds, rng=random):
    """Seconds to wait before attempt number ``attempt + 1``.

    ``attempt`` counts the attempts already made (1 after the first failure).
    The delay is drawn between half and all of ``base * 2**(attempt-1)``,
    itself capped at ``cap_seconds``.
    """
    ceiling = min(cap_seconds, base_seconds * 2 ** max(attempt - 1, 0))
    return ceiling * (0.5 + rng.random() / 2)
