"""Plain-Python helpers of the FA screens (no Odoo imports here).

``inputs`` checks the free text that the portal, the JSON API and RPC
callers send before any of it reaches the database.
"""
