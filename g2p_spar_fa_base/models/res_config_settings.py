# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..lib import fa_format
from ..lib.fa_presets import PRESET_LABELS, PRESET_OPENG2P


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Field names mirror the parameter keys with "." replaced by "_".
    g2p_spar_fa_id_format = fields.Char(
        string="SPAR ID Format",
        config_parameter="g2p_spar_fa.id_format",
        help="Placeholders: {id} (registrant ID), {id_type}.",
    )
    g2p_spar_fa_id_type = fields.Char(
        string="SPAR ID Type", config_parameter="g2p_spar_fa.id_type"
    )
    g2p_spar_fa_fa_preset = fields.Selection(
        list(PRESET_LABELS),
        string="FA Format",
        config_parameter="g2p_spar_fa.fa_preset",
        default=PRESET_OPENG2P,
        help="OpenG2P strategies: what G2P Bridge and SPAR self-service read "
        "(account, branch and bank codes; wallet provider name and code). G2P "
        "Connect (short): account_no:...@BIC, iban:...@BIC, phone:..., "
        "email:.... Custom: the templates below.",
    )
    g2p_spar_fa_strategy_id_bank = fields.Char(
        string="SPAR Strategy of Bank Accounts",
        config_parameter="g2p_spar_fa.strategy_id_bank",
        help="Id of the SPAR strategy matching the bank account format, sent "
        'in additional_info as {"strategy_id": N}; empty: none is sent.',
    )
    g2p_spar_fa_strategy_id_mobile = fields.Char(
        string="SPAR Strategy of Mobile Wallets",
        config_parameter="g2p_spar_fa.strategy_id_mobile",
    )
    g2p_spar_fa_strategy_id_email = fields.Char(
        string="SPAR Strategy of E-mail Wallets",
        config_parameter="g2p_spar_fa.strategy_id_email",
    )
    g2p_spar_fa_fa_format_bank = fields.Char(
        string="Bank Account FA Format",
        config_parameter="g2p_spar_fa.fa_format_bank",
        help="Placeholders: {account}, {bic}, {bank_code}, {branch_code}.",
    )
    g2p_spar_fa_fa_format_iban = fields.Char(
        string="IBAN FA Format",
        config_parameter="g2p_spar_fa.fa_format_iban",
        help="Used instead of the bank account format when an IBAN is given.",
    )
    g2p_spar_fa_fa_format_mobile = fields.Char(
        string="Mobile Wallet FA Format",
        config_parameter="g2p_spar_fa.fa_format_mobile",
        help="Placeholders: {msisdn} (E.164), {provider}.",
    )
    g2p_spar_fa_fa_format_email = fields.Char(
        string="E-mail Wallet FA Format",
        config_parameter="g2p_spar_fa.fa_format_email",
        help="Placeholders: {email}, {provider}.",
    )
    g2p_spar_fa_phone_region = fields.Char(
        string="Payment Phone Region",
        config_parameter="g2p_spar_fa.phone_region",
        help="ISO country code used to read national mobile numbers; empty "
        "means the company's country. Numbers starting with + always work.",
    )

    def set_values(self):
        """Validate everything before saving, then re-derive stored SPAR IDs."""
        fa_model = self.env["g2p.payment.fa"]
        before = fa_model._get_fa_settings()
        for config in self:
            settings = fa_format.FaSettings.from_params(
                lambda key, config=config: config[key.replace(".", "_")]
            )
            try:
                fa_format.check_settings(settings)
            except fa_format.FaValidationError as exc:
                raise fa_model._fa_error(exc) from exc
            # Only a new ID format can make two registrants' IDs meet; the
            # check reads every registrant, so a save of other settings
            # skips it.
            if (settings.id_format, settings.id_type) != (
                before.id_format,
                before.id_type,
            ):
                self.env["res.partner"]._check_spar_id_settings(settings)
        res = super().set_values()
        after = fa_model._get_fa_settings()
        if (after.id_format, after.id_type) != (before.id_format, before.id_type):
            self.env["res.partner"]._recompute_spar_ids()
        return res
