from . import payment_fa, res_config_settings, res_partner  # noqa: F401
