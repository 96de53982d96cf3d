{
    "name": "G2P ODK Importer (payment FA)",
    "summary": "Import registrations and their payment FA from ODK Central",
    "version": "17.0.1.0.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/openg2p",
    "depends": ["g2p_spar_fa_sync"],
    "data": [],
    "installable": True,
}
