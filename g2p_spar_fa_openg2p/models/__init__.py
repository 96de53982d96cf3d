from . import (
    base_partner_merge,
    g2p_payment_fa,
    g2p_reg_id,
    g2p_spar_outbox,
    ir_config_parameter,
    payment_fa_backfill,
    payment_fa_backfill_chunk,
    res_config_settings,
    res_partner,
    res_partner_bank,
)
