from . import (
    test_backfill,
    test_bank_account_follow,
    test_encryption,
    test_enumerator_clash,
    test_forms,
    test_groups,
    test_roles,
    test_spar_id,
    test_tours,
)
