from . import (  # noqa: F401
    test_fa_formats,
    test_log_redaction,
    test_partner_merge,
    test_payment_fa,
    test_security,
    test_settings,
    test_spar_id,
)
