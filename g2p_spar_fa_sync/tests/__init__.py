from . import (
    test_dispatch,
    test_fa_resend,
    test_faults,
    test_integrity,
    test_lanes,
    test_outbox,
    test_partner_merge,
    test_read_back,
    test_reconciliation,
    test_secrets,
)
