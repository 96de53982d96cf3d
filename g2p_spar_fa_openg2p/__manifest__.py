# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "G2P SPAR FA for OpenG2P Registry",
    "summary": "Payment FAs and SPAR sync as a native part of OpenG2P's registry",
    "version": "17.0.1.0.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/OpenG2P",
    "depends": [
        "g2p_spar_fa_ui",
        "g2p_registry_individual",
        "g2p_registry_group",
        "g2p_registry_membership",
        "g2p_bank",
    ],
    "external_dependencies": {"python": ["schwifty", "stdnum"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/queue_job_data.xml",
        "views/res_partner_views.xml",
        "views/payment_fa_backfill_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/demo_individuals.xml",
    ],
    "auto_install": True,
    "installable": True,
}
