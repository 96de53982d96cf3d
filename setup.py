"""Install the four addons' Python dependencies into an Odoo environment.

``pip install -e .`` makes the addons importable as plain packages (the
plain-Python protocol modules are unit-tested that way) and pulls their
dependencies. Odoo itself is not a dependency: no distribution named ``odoo``
exists on PyPI, it runs from its source tree (ODOO_PATH), and the addons are
found through Odoo's ``addons_path`` (this repository's root). Nor is
``queue_job``, an Odoo addon whose distribution requires that missing ``odoo``
(``scripts/stack.py`` installs it without its dependencies).

The dependencies are the ``external_dependencies`` the manifests declare, so
that Odoo's install check and pip never disagree; ``DISTRIBUTIONS`` only says
which distribution, at which version, provides each imported name.
"""

import ast
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
ADDONS = [
    "g2p_spar_fa_base",
    "g2p_spar_fa_sync",
    "g2p_spar_fa_ui",
    "g2p_odk_importer_fa",
    "g2p_spar_fa_openg2p",
    "g2p_spar_fa_openg2p_portal",
    "g2p_odk_importer_fa_openg2p",
]
DISTRIBUTIONS = {
    "cryptography": "cryptography",
    "email_validator": "email-validator>=2.0",
    "jwt": "pyjwt>=2.8",
    "phonenumbers": "phonenumbers>=8.13",
    "requests": "requests",
    "schwifty": "schwifty>=2024.1",
    "stdnum": "python-stdnum>=1.17",
}
# Imported by the addons without a manifest entry: Odoo requires it already.
ODOO_PROVIDED = ["psycopg2"]


def manifest_requirements():
    names = set()
    for addon in ADDONS:
        manifest = ast.literal_eval((HERE / addon / "__manifest__.py").read_text())
        names.update(manifest.get("external_dependencies", {}).get("python", []))
    unknown = names - DISTRIBUTIONS.keys()
    if unknown:
        raise SystemExit(f"setup.py: no distribution known for {sorted(unknown)}")
    return sorted(DISTRIBUTIONS[name] for name in names)


setup(
    name="g2p-spar-fa",
    version="17.0.1.0.0",
    description="Payment financial addresses of registrants, kept in SPAR",
    license="AGPL-3",
    python_requires=">=3.10",
    packages=find_packages(include=[f"{a}*" for a in ADDONS]),
    # An addon is more than its Python: views, data, access rules, assets,
    # translations and fixtures travel with it in a non-editable install.
    package_data={addon: ["**/*"] for addon in ADDONS},
    exclude_package_data={"": ["*.pyc", "__pycache__/*"]},
    install_requires=manifest_requirements() + ODOO_PROVIDED,
)
