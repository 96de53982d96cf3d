from . import test_dispatch, test_faults, test_outbox, test_reconciliation
