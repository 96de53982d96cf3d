from . import test_payment_fa, test_security, test_settings, test_spar_id  # noqa: F401
