from . import (
    payment_fa,
    res_config_settings,
    res_partner,
    spar_fa_check,
    spar_monitor,
    spar_outbox,
)
