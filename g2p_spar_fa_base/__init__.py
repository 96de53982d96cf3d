# Odoo only accepts models declared under odoo.addons; imported as a plain
# package (pytest of lib/, see setup.py) the addon exposes lib/ alone.
if __name__.startswith("odoo.addons."):
    from . import models, wizards  # noqa: F401
