"""Plain-Python helpers of the SPAR FA sync (no Odoo imports here).

``spar_protocol`` speaks the SPAR mapper protocol (envelopes, outcomes,
batching, client), ``signing`` signs request bodies, ``spar_push`` pushes a
batch with link/update fallback and read-back, ``backoff`` spaces retries,
``secret_box`` seals secrets stored in the database, ``outbox_states``
defines the outbox row's states and the moves between them.
"""
