{
    "name": "G2P SPAR FA Sync",
    "summary": "Push payment financial addresses to SPAR through an ordered outbox",
    "version": "17.0.1.0.1",
    "category": "G2P",
    "license": "AGPL-3",
    "author": "OpenG2P SPAR FA contributors",
    "website": "https://github.com/openg2p",
    "depends": ["g2p_spar_fa_base", "queue_job"],
    "external_dependencies": {"python": ["jwt", "requests", "cryptography"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
    ],
    "post_init_hook": "post_init_hook",
    "installable": True,
}
