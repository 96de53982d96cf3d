"""The payment side can pay to what the department user entered in SR.

OpenG2P's G2P Bridge (PyPI, its own virtualenv, Redis, a database of its
own) runs beside the stack for this module only and is stopped after it. It
resolves each beneficiary id at our SPAR mapper with requests signed by its
own key (checked by the stack's verifier) and deconstructs the FA with
OpenG2P's patterns; what it stores is what its bank connector pays to.
"""

import pytest
import sysharness as h

from g2p_spar_fa_base.lib.fa_format import setting_key
from g2p_spar_fa_base.lib.fa_presets import PRESET_OPENG2P

DRAIN_TIMEOUT = 120
RESOLVE_TIMEOUT = 90
PAYMENT_TIMEOUT = 90

# The wallet providers FA administrators keep: (code, name, kind). G2P
# Bridge stores the code as the wallet provider.
PROVIDERS = (
    ("BRIDGE-MPESA", "Bridge M-Pesa", "mobile"),
    ("EWALLET-KE", "Kenya E-Wallet", "email"),
)

# What the department user enters, and what G2P Bridge must deconstruct from
# SPAR: every field a bank connector reads, empty ones included.
ENTERED = {
    "Bridge Bank Beneficiary": (
        {
            "kind": "bank",
            "account_number": "0012345678",
            "bank_code": "KCB",
            "branch_code": "NRB-001",
            "holder_name": "Bridge Bank Beneficiary",
        },
        {
            "mapper_resolved_fa_type": "BANK_ACCOUNT",
            "bank_account_number": "0012345678",
            "bank_code": "KCB",
            "branch_code": "NRB-001",
            "mobile_number": "",
            "mobile_wallet_provider": None,
            "email_address": "",
            "email_wallet_provider": None,
        },
    ),
    "Bridge Mobile Beneficiary": (
        {
            "kind": "mobile",
            "payment_msisdn": "+254712345678",
            "provider_code": "BRIDGE-MPESA",
        },
        {
            "mapper_resolved_fa_type": "MOBILE_WALLET",
            "bank_account_number": None,
            "bank_code": None,
            "branch_code": None,
            "mobile_number": "+254712345678",
            "mobile_wallet_provider": "BRIDGE-MPESA",
            "email_address": None,
            "email_wallet_provider": None,
        },
    ),
    "Bridge E-mail Beneficiary": (
        {
            "kind": "email",
            # Dots inside a value must not confuse the dot-separated layout.
            "payment_email": "amina.w.otieno@pay.example.org",
            "provider_code": "EWALLET-KE",
        },
        {
            "mapper_resolved_fa_type": "EMAIL_WALLET",
            "bank_account_number": None,
            "bank_code": None,
            "branch_code": None,
            "mobile_number": None,
            "mobile_wallet_provider": None,
            "email_address": "amina.w.otieno@pay.example.org",
            "email_wallet_provider": "EWALLET-KE",
        },
    ),
}


@pytest.fixture(scope="module")
def bridge(stack, stack_module):
    running = stack_module.g2p_bridge.start(stack, stack_module)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pbms(stack_module, bridge):
    """The program's payment system, signing as ``openg2p-pbms``."""
    demo = h.load_by_path("g2p_bridge_demo", h.REPO / "scripts" / "bridge_demo.py")
    key = bridge.key_file(stack_module.g2p_bridge.PBMS_SENDER_ID)
    return demo, demo.Pbms(bridge.url, key)


@pytest.fixture(scope="module")
def openg2p_formats(admin):
    """The OpenG2P strategies preset (what a new database uses; the system
    tests' stack pins the short one) and the wallet providers; the setting
    is put back afterwards."""
    key = setting_key("fa_preset")
    before = admin("ir.config_parameter", "get_param", key)
    admin("ir.config_parameter", "set_param", key, PRESET_OPENG2P)
    admin(
        "g2p.wallet.provider",
        "create",
        [{"code": code, "name": name, "kind": kind} for code, name, kind in PROVIDERS],
    )
    yield
    admin("ir.config_parameter", "set_param", key, before or False)


def with_provider_record(admin, values):
    """The FA values as the form sends them: a provider is picked from the
    list, which fills its code and name."""
    code = values.get("provider_code")
    if not code:
        return values
    (provider_id,) = admin(
        "g2p.wallet.provider",
        "search",
        [("code", "=", code), ("kind", "=", values["kind"])],
    )
    return {
        **{k: v for k, v in values.items() if k != "provider_code"},
        "wallet_provider_id": provider_id,
    }


def register_in_sr(admin, fa_manager, spar, entered):
    """Registrants with the FAs a department user enters ({name: FA values}),
    once SPAR holds them: their SPAR IDs, in order, and what SPAR resolves."""
    names = list(entered)
    partner_ids = admin(
        "res.partner",
        "create",
        [{"name": name, "is_registrant": True} for name in names],
    )
    fa_manager(
        "g2p.payment.fa",
        "create",
        [
            {"partner_id": partner_id, **with_provider_record(admin, entered[name])}
            for partner_id, name in zip(partner_ids, names, strict=True)
        ],
    )
    h.wait_drained(admin, partner_ids, DRAIN_TIMEOUT)
    current = h.current_fas(admin, partner_ids)
    spar_ids = [current[partner_id][0] for partner_id in partner_ids]
    held = spar.resolve(spar_ids)
    assert held == dict(current.values())
    return spar_ids, held


def test_g2p_bridge_resolves_every_kind_of_fa_as_entered(
    admin, fa_manager, spar, openg2p_formats, bridge, pbms
):
    demo, client = pbms
    names = list(ENTERED)
    spar_ids, held = register_in_sr(
        admin, fa_manager, spar, {name: ENTERED[name][0] for name in names}
    )
    envelope_id = demo.disburse(client, list(zip(spar_ids, names, strict=True)))
    details = demo.wait_resolved(bridge, envelope_id, spar_ids, timeout=RESOLVE_TIMEOUT)

    for spar_id, name in zip(spar_ids, names, strict=True):
        row = details[spar_id]
        assert row["mapper_resolved_fa"] == held[spar_id], name
        resolved = {column: row[column] for column in ENTERED[name][1]}
        assert resolved == ENTERED[name][1], name


def test_the_example_bank_credits_the_account_the_bank_fa_names(
    admin, fa_manager, spar, openg2p_formats, bridge, pbms
):
    """The whole way: SR, SPAR, G2P Bridge's resolution, funds check and
    block, disbursement through its EXAMPLE connector, the example bank's
    payment run. The example bank pays into its own accounts for bank code
    EXAMPLE_BANK (other banks and wallets go to clearing accounts); an
    envelope of bank accounts only, as G2P Bridge 1.1.0 cannot send a
    batch that holds a wallet to a bank (see README, G2P Bridge)."""
    demo, client = pbms
    name = "Bridge Paid Beneficiary"
    account = "0098765432"
    (spar_id,), _held = register_in_sr(
        admin,
        fa_manager,
        spar,
        {
            name: {
                "kind": "bank",
                "account_number": account,
                "bank_code": "EXAMPLE_BANK",
                "branch_code": "NRB-001",
                "holder_name": name,
            }
        },
    )
    assert bridge.bank_balance(account) is None
    demo.disburse(client, [(spar_id, name)], amount=2500.0)
    balance = h.wait_until(
        lambda: bridge.bank_balance(account),
        PAYMENT_TIMEOUT,
        interval=1,
        what=f"payment credited to account {account} at the example bank",
    )
    assert balance == 2500.0


def test_g2p_bridge_refuses_a_request_signed_by_an_unknown_key(
    stack, stack_module, bridge, pbms, tmp_path
):
    """Its API checks signatures for real: a PBMS whose key the key manager
    does not hold for ``openg2p-pbms`` is turned away, nothing is stored."""
    demo, _client = pbms
    stranger_key = tmp_path / "stranger.pem"
    stack_module.generate_key_pair(stranger_key, tmp_path / "stranger.pub")
    stranger = demo.Pbms(bridge.url, stranger_key)
    with pytest.raises(demo.BridgeError, match="rjct"):
        stranger.call(
            "create_benefit_program_configuration",
            demo.program_configuration("STRANGER-PROGRAM"),
        )
    stored = stack.psql(
        "SELECT count(*) FROM benefit_program_configurations "
        "WHERE benefit_program_mnemonic = 'STRANGER-PROGRAM'",
        db=bridge.db,
    )
    assert stored == "0"
