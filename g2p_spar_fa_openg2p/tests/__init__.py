from . import test_backfill, test_bank_account_follow
