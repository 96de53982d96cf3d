from . import (
    test_dispatch,
    test_faults,
    test_outbox,
    test_read_back,
    test_reconciliation,
    test_secrets,
)
