from . import (
    payment_fa,
    res_partner,
    spar_connector,
    spar_drift,
    spar_outbox,
    spar_reconciliation,
)
