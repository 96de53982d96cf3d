from . import (  # noqa: F401
    bank_branch,
    payment_fa,
    res_bank,
    res_config_settings,
    res_partner,
    wallet_provider,
)
