# Odoo only accepts models declared under odoo.addons; imported as a plain
# package (pytest, see setup.py) the addon exposes nothing.
if __name__.startswith("odoo.addons."):
    from . import models, wizards
