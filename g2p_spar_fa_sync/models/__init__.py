from . import (
    payment_fa,
    res_partner,
    secret_box,
    spar_connector,
    spar_drift,
    spar_fa_resend,
    spar_outbox,
    spar_outbox_dispatch,
    spar_outbox_read_back,
    spar_outbox_record,
    spar_reconciliation,
)
