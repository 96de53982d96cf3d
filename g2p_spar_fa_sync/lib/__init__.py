"""Plain-Python helpers of the SPAR FA sync (no Odoo imports here).

``spar_protocol`` is the one import for the SPAR mapper protocol; it gathers
``spar_envelope`` (request items, envelopes, body bytes), ``signing`` (the
signature over those bytes), ``spar_outcomes`` (what each item's answer means),
``spar_client`` (the HTTP exchange) and ``redaction`` (FA masking).
``spar_push`` pushes a batch with link/update fallback and read-back,
``drift`` decides whether SPAR holds what we expect,
``backoff`` spaces retries, ``secret_box`` seals secrets stored in the database,
``outbox_states`` defines the outbox row's states and the moves between them.
"""
