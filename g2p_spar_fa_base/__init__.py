# Odoo only accepts models declared under odoo.addons; imported as a plain
# package (pytest of lib/, see setup.py) the addon exposes lib/ alone.
if __name__.startswith("odoo.addons."):
    from . import exceptions, models, wizards  # noqa: F401

    # Installed at import, not at module install: the server logs requests
    # of every database it serves, from its first request on.
    exceptions.install_log_redaction()
