from . import (
    payment_fa,
    res_partner,
    secret_box,
    spar_connector,
    spar_drift,
    spar_outbox,
    spar_reconciliation,
)
