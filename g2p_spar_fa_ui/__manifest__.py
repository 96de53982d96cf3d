{
    "name": "G2P SPAR FA UI",
    "summary": "Screens for department users and enumerators to maintain payment FAs",
    "version": "17.0.1.0.0",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/openg2p",
    "depends": ["g2p_spar_fa_sync"],
    "data": [],
    "installable": True,
}
