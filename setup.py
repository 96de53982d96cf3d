"""Install the four addons' Python dependencies into an Odoo environment.

``pip install -e .`` makes the addons importable as plain packages (the
plain-Python protocol modules are unit-tested that way) and pulls their
dependencies. Odoo itself is not a dependency: no distribution named ``odoo``
exists on PyPI, it runs from its source tree (ODOO_PATH), and the addons are
found through Odoo's ``addons_path`` (this repository's root).
"""

from setuptools import find_packages, setup

ADDONS = [
    "g2p_spar_fa_base",
    "g2p_spar_fa_sync",
    "g2p_spar_fa_ui",
    "g2p_odk_importer_fa",
]

setup(
    name="g2p-spar-fa",
    version="17.0.1.0.0",
    description="Payment financial addresses of registrants, kept in SPAR",
    license="AGPL-3",
    python_requires=">=3.10",
    packages=find_packages(include=[f"{a}*" for a in ADDONS]),
    include_package_data=True,
    install_requires=[
        "cryptography",
        "email-validator>=2.0",
        "phonenumbers>=8.13",
        "psycopg2",
        "pyjwt>=2.8",
        "python-stdnum>=1.17",
        "requests",
    ],
)
