# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "G2P ODK Importer FA for OpenG2P Registry",
    "summary": "ODK imports create OpenG2P-shaped individuals: ID, phone numbers, "
    "gender, birthdate",
    "version": "17.0.1.0.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/OpenG2P",
    "depends": ["g2p_odk_importer_fa", "g2p_spar_fa_openg2p"],
    "data": ["views/odk_import_config_views.xml"],
    "auto_install": True,
    "installable": True,
}
