from . import (
    base_partner_merge,
    g2p_payment_fa,
    g2p_reg_id,
    g2p_spar_outbox,
    ir_config_parameter,
    res_config_settings,
    res_partner,
)
