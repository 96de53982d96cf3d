from . import (
    test_amendment,
    test_api,
    test_change_channel,
    test_fa_formats,
    test_migration,
    test_monitor,
    test_portal,
    test_security,
    test_settings,
    test_spar_state,
    test_tours,
)
