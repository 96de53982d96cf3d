# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "G2P SPAR FA for OpenG2P Registration Portal",
    "summary": "Payment FA section on OpenG2P's registration portal forms",
    "version": "17.0.1.0.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/OpenG2P",
    "depends": ["g2p_spar_fa_openg2p", "g2p_registration_portal_base"],
    "data": ["views/registration_portal_templates.xml"],
    "assets": {
        "web.assets_tests": [
            "g2p_spar_fa_openg2p_portal/static/src/js/tours/*.js",
        ],
    },
    "auto_install": True,
    "installable": True,
}
