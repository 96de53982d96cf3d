# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "G2P SPAR Payment Financial Address",
    "summary": "Validated payment financial addresses and SPAR IDs for registrants",
    "version": "17.0.1.1.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/OpenG2P",
    "depends": ["base", "contacts"],
    "external_dependencies": {
        "python": ["phonenumbers", "email_validator", "schwifty", "stdnum"],
    },
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_config_parameter.xml",
        "data/ir_sequence.xml",
        "views/payment_fa_views.xml",
        "views/bank_views.xml",
        "views/res_partner_views.xml",
    ],
    "demo": [
        "demo/res_bank_demo.xml",
        "demo/wallet_provider_demo.xml",
        "demo/res_partner_demo.xml",
    ],
    "installable": True,
}
