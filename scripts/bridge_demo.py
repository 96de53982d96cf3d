"""Pay the registrants of the local stack through G2P Bridge, and show what it
resolved from SPAR.

``make bridge-demo`` (after ``make run BRIDGE=1``) does what a program's
payment system (PBMS) does: it registers a benefit program with G2P Bridge,
sends a disbursement envelope and one disbursement per registrant that has a
payment FA (beneficiary id = the registrant's SPAR ID), then waits for G2P
Bridge's mapper resolution and prints, per beneficiary, the FA it resolved
at SPAR and what it deconstructed: the fields its bank connector pays to.

:class:`Pbms` and :func:`disburse` are also what the G2P Bridge system test
sends (``tests/system/test_system_4_bridge.py``). Runs in the Odoo
virtualenv: requests signed with our own signer, as ``openg2p-pbms``.
"""

import datetime
import json
import time
import uuid

import g2p_bridge
import requests
from g2p_bridge import CURRENCY, PBMS_SENDER_ID, SPONSOR_ACCOUNT, SPONSOR_BANK_CODE

from g2p_spar_fa_sync.lib.signing import RequestSigner


class BridgeError(Exception):
    """G2P Bridge refused a request; the message says which and why."""


class Pbms:
    """Signed G2P Connect style requests to G2P Bridge's API.

    G2P Bridge checks every request's detached RS256 signature with the key
    manager (the stack's verifier) under ``PARTNER_OPENG2P_PBMS``.
    """

    def __init__(self, url, private_key_file):
        self.url = url.rstrip("/")
        self.signer = RequestSigner.from_file(private_key_file)

    def call(self, action, message, count=1):
        envelope = {
            "header": {
                "version": "1.0.0",
                "message_id": str(uuid.uuid4()),
                "message_ts": datetime.datetime.now(datetime.UTC).isoformat(),
                "action": action,
                "sender_id": PBMS_SENDER_ID,
                "sender_uri": "",
                "receiver_id": "g2p-bridge",
                "total_count": count,
                "is_msg_encrypted": False,
            },
            "message": message,
        }
        body = json.dumps(envelope, separators=(",", ":")).encode()
        response = requests.post(
            f"{self.url}/{action}",
            data=body,
            headers={
                "Content-Type": "application/json",
                "Signature": self.signer.sign(body),
            },
            timeout=60,
        )
        if response.status_code != 200:
            raise BridgeError(f"{action}: HTTP {response.status_code} {response.text}")
        answer = response.json()
        header = answer["header"]
        if header["status"] != "succ":
            raise BridgeError(
                f"{action}: {header['status']} {header.get('status_reason_message')}"
                f" {answer.get('message')}"
            )
        return answer["message"]


def program_configuration(mnemonic):
    """A benefit program paid from its account at G2P Bridge's example bank,
    whose beneficiaries' FAs are resolved at SPAR."""
    return {
        "benefit_program_mnemonic": mnemonic,
        "benefit_program_name": "SPAR FA demonstration",
        "funding_org_code": "DEMO-MIN",
        "funding_org_name": "Ministry of Social Protection",
        "sponsor_bank_code": SPONSOR_BANK_CODE,
        "sponsor_bank_account_number": SPONSOR_ACCOUNT,
        "sponsor_bank_branch_code": "MAIN",
        "sponsor_bank_account_currency": CURRENCY,
        "id_mapper_resolution_required": True,
    }


def disburse(pbms, beneficiaries, amount=100.0):
    """One envelope paying ``amount`` to each ``(beneficiary id, name)``;
    returns the envelope id. Each call registers a program of its own, so
    it can run again on the same G2P Bridge."""
    program = f"SPAR-FA-{uuid.uuid4().hex[:8].upper()}"
    pbms.call("create_benefit_program_configuration", program_configuration(program))
    count = len(beneficiaries)
    envelope = pbms.call(
        "create_disbursement_envelope",
        {
            "benefit_program_mnemonic": program,
            "disbursement_frequency": "OnDemand",
            "cycle_code_mnemonic": "CYCLE-1",
            "number_of_beneficiaries": count,
            "number_of_disbursements": count,
            "total_disbursement_amount": amount * count,
            "disbursement_currency_code": CURRENCY,
            "disbursement_schedule_date": datetime.date.today().isoformat(),
        },
    )
    envelope_id = envelope["disbursement_envelope_id"]
    pbms.call(
        "create_disbursements",
        [
            {
                "disbursement_envelope_id": envelope_id,
                "mis_reference_number": f"{program}-{index}",
                "beneficiary_id": beneficiary_id,
                "beneficiary_name": name,
                "disbursement_amount": amount,
                "narrative": f"{program} cycle 1",
            }
            for index, (beneficiary_id, name) in enumerate(beneficiaries, 1)
        ],
        count=count,
    )
    return envelope_id


def wait_resolved(bridge, envelope_id, beneficiary_ids, timeout=90):
    """G2P Bridge's resolution details for the envelope, once every
    beneficiary has one."""
    expected = set(beneficiary_ids)
    deadline = time.monotonic() + timeout
    while True:
        details = bridge.resolution_details(envelope_id)
        if set(details) >= expected:
            return details
        if time.monotonic() > deadline:
            missing = sorted(expected - set(details))
            raise BridgeError(
                f"G2P Bridge resolved {len(details)} of {len(expected)} "
                f"beneficiaries within {timeout}s; not: {missing} "
                "(see the g2p-bridge-worker log)"
            )
        time.sleep(1)


SHOWN = (
    "mapper_resolved_fa_type",
    "bank_account_number",
    "bank_code",
    "branch_code",
    "mobile_number",
    "mobile_wallet_provider",
    "email_address",
    "email_wallet_provider",
)


def main():
    import stack as tools

    stack = tools.Stack(tools.STATE / "run")
    bridge = g2p_bridge.Bridge(stack, tools)
    if not stack.pid_of("g2p-bridge-api"):
        tools.die("G2P Bridge is not running: start it with make run BRIDGE=1")
    registrants = json.loads(
        stack.psql(
            "SELECT coalesce(json_agg(json_build_array(p.spar_id, p.name)), '[]')"
            " FROM res_partner p JOIN g2p_payment_fa f"
            " ON f.partner_id = p.id AND f.active"
            " WHERE p.active AND p.spar_id IS NOT NULL",
            db="g2p",
        )
    )
    if not registrants:
        tools.die("no registrant with a payment FA in database g2p")
    pbms = Pbms(bridge.url, bridge.key_file(PBMS_SENDER_ID))
    envelope_id = disburse(pbms, registrants)
    print(f"envelope {envelope_id}: {len(registrants)} disbursements; resolving...")
    details = wait_resolved(
        bridge, envelope_id, [spar_id for spar_id, _name in registrants]
    )
    for spar_id, name in registrants:
        row = details[spar_id]
        print(f"\n{name} ({spar_id})\n  FA in SPAR: {row['mapper_resolved_fa']}")
        for column in SHOWN:
            if row[column]:
                print(f"  {column}: {row[column]}")
        if not row["mapper_resolved_fa_type"]:
            print("  (no G2P Bridge pattern matches this FA: nothing to pay to)")


if __name__ == "__main__":
    main()
