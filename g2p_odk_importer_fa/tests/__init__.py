# Odoo runs these as odoo.addons.g2p_odk_importer_fa.tests; the pytest suite
# imports the package plainly for odk_replay alone, without Odoo's tests.
if __name__.startswith("odoo.addons."):
    from . import test_import, test_live, test_security
