# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "G2P SPAR FA UI",
    "summary": "Screens for department users and enumerators to maintain payment FAs",
    "version": "17.0.1.0.2",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/openg2p",
    "depends": ["g2p_spar_fa_sync", "portal", "web"],
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "wizards/fa_amendment_views.xml",
        "views/spar_fa_check_views.xml",
        "views/spar_outbox_views.xml",
        "views/spar_monitor_views.xml",
        "views/spar_fa_resend_views.xml",
        "views/res_partner_views.xml",
        "views/payment_fa_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
        "views/portal_templates.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "g2p_spar_fa_ui/static/src/js/tours/*.js",
        ],
    },
    "installable": True,
}
