from . import payment_fa_backfill_wizard
