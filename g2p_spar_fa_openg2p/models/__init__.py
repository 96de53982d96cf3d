from . import (
    payment_fa_backfill,
    payment_fa_backfill_chunk,
    res_config_settings,
    res_partner_bank,
)
