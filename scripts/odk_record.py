#!/usr/bin/env python3
"""Record ODK Central's answers as replay fixtures for g2p_odk_importer_fa.

Talks to a real, running ODK Central (see the addon's readme/CONFIGURE.md for
how one was run on loopback) with an account allowed to create projects:

    ODK_CENTRAL_URL=http://127.0.0.1:58383 ODK_CENTRAL_EMAIL=... \\
    ODK_CENTRAL_PASSWORD=... .stack/venv-odoo/bin/python scripts/odk_record.py

It creates a fresh project, publishes the test form
(``g2p_odk_importer_fa/tests/fixtures/registration_form.xml``), posts
submissions (good ones of every payment kind, an invalid IBAN, a missing
payment kind, one that is then deleted), and records, through the importer's
own client, everything the importer asks: login (right and wrong password), the
ordered feed paged by two, one instance, Central's refusals. Then it edits
submissions (a new payment number; the e-mail wallet's address removed; the
payment kind set to ``none``), changes a review state and adds a submission,
and records the incremental poll that follows and one edited instance.
Request/response pairs are written to
``g2p_odk_importer_fa/tests/fixtures/central_*.json``; the password and the
session token are replaced by placeholders.
"""

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from g2p_odk_importer_fa.lib import odk_client  # noqa: E402
from g2p_odk_importer_fa.tests.odk_replay import PASSWORD_PLACEHOLDER  # noqa: E402

FIXTURES = REPO / "g2p_odk_importer_fa" / "tests" / "fixtures"
FORM_ID = "g2p_registration"
PAGE_SIZE = 2
TOKEN_PLACEHOLDER = "replay-token"
WRONG_PASSWORD = "not-the-password"


def submission_xml(instance_id, first, last, phone, payment, deprecated_id=None):
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in payment.items())
    deprecated = (
        f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    )
    return (
        f'<data id="{FORM_ID}" version="1"><first_name>{first}</first_name>'
        f"<last_name>{last}</last_name><contact_phone>{phone}</contact_phone>"
        f"<payment>{fields}</payment><meta><instanceID>{instance_id}</instanceID>"
        f"{deprecated}</meta></data>"
    )


# Synthetic people; contact phones differ from payment numbers on purpose.
SUBMISSIONS = {
    "bank": (
        "Amina",
        "Otieno",
        "+254700000101",
        {"fa_kind": "bank", "account_number": "1234567890", "bic": "COBADEFFXXX"},
    ),
    "mobile": (
        "Baraka",
        "Mwangi",
        "+254700000102",
        {
            "fa_kind": "mobile",
            "payment_msisdn": "0712345678",
            "wallet_provider": "MPESA",
        },
    ),
    "iban": (
        "Chen",
        "Wei",
        "+254700000103",
        {"fa_kind": "bank", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    ),
    "email": (
        "Dalia",
        "Haddad",
        "+254700000104",
        {
            "fa_kind": "email",
            "payment_email": "dalia.wallet@example.org",
            "wallet_provider": "PAYMAIL",
        },
    ),
    "bad_iban": (
        "Emeka",
        "Obi",
        "+254700000105",
        {"fa_kind": "bank", "iban": "DE00123456789012345678", "bic": "COBADEFFXXX"},
    ),
    "missing_kind": (
        "Fatima",
        "Diallo",
        "+254700000106",
        {"payment_msisdn": "0722000106"},
    ),
    "deleted": (
        "Gita",
        "Rao",
        "+254700000107",
        {"fa_kind": "mobile", "payment_msisdn": "0733000107"},
    ),
}
NEW_AFTER_EDIT = (
    "Hana",
    "Sato",
    "+254700000108",
    {"fa_kind": "mobile", "payment_msisdn": "0711000108", "wallet_provider": "AIRTEL"},
)
EDITED_MSISDN = "0799888777"


class RecordingSession(requests.Session):
    """A requests session that keeps each exchange, redacted, under a name."""

    def __init__(self, password, token_holder):
        super().__init__()
        self.password = password
        self.token_holder = token_holder
        self.phase = "initial"
        self.name = None
        self.exchanges = []

    def request(self, method, url, **kwargs):  # pylint: disable=arguments-differ
        response = super().request(method, url, **kwargs)
        parts = urlsplit(url)
        body = kwargs.get("data")
        if body:
            body = json.loads(body)
            if body.get("password") == self.password:
                body["password"] = PASSWORD_PLACEHOLDER
        try:
            payload = response.json()
        except ValueError:
            payload = {"text": response.text}
        if isinstance(payload, dict) and "token" in payload:
            self.token_holder["token"] = payload["token"]
            payload = {**payload, "token": TOKEN_PLACEHOLDER, "csrf": "replay-csrf"}
        name = self.name or f"{method.lower()} {parts.path}"
        self.exchanges.append(
            {
                "name": name,
                "phase": self.phase,
                "request": {
                    "method": method.upper(),
                    "path": parts.path,
                    "query": dict(parse_qsl(parts.query, keep_blank_values=True)),
                    **({"body": body} if body else {}),
                },
                "response": {"status": response.status_code, "body": payload},
            }
        )
        self.name = None
        return response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("ODK_CENTRAL_URL"))
    parser.add_argument("--email", default=os.environ.get("ODK_CENTRAL_EMAIL"))
    parser.add_argument("--out", default=str(FIXTURES))
    args = parser.parse_args()
    password = os.environ.get("ODK_CENTRAL_PASSWORD")
    if not (args.url and args.email and password):
        parser.error("set ODK_CENTRAL_URL, ODK_CENTRAL_EMAIL and ODK_CENTRAL_PASSWORD")
    base = args.url.rstrip("/")

    # Setup and changes go through a plain session: they are not fixtures.
    admin = requests.Session()
    token = admin.post(
        f"{base}/v1/sessions",
        json={"email": args.email, "password": password},
        timeout=30,
    ).json()["token"]
    admin.headers["Authorization"] = f"Bearer {token}"

    def call(method, path, **kwargs):
        response = admin.request(method, base + path, timeout=30, **kwargs)
        if response.status_code >= 300:
            raise SystemExit(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    project = call(
        "POST", "/v1/projects", json={"name": f"g2p-odk-{uuid.uuid4().hex[:8]}"}
    )
    pid = project["id"]
    form_xml = (FIXTURES / "registration_form.xml").read_bytes()
    call(
        "POST",
        f"/v1/projects/{pid}/forms?publish=true",
        data=form_xml,
        headers={"Content-Type": "application/xml"},
    )
    subs = f"/v1/projects/{pid}/forms/{FORM_ID}/submissions"
    ids = {}
    for key, (first, last, phone, payment) in SUBMISSIONS.items():
        ids[key] = f"uuid:{uuid.uuid4()}"
        call(
            "POST",
            subs,
            data=submission_xml(ids[key], first, last, phone, payment).encode(),
            headers={"Content-Type": "application/xml"},
        )
        time.sleep(0.05)
    call("DELETE", f"{subs}/{ids['deleted']}")

    holder = {}
    session = RecordingSession(password, holder)
    client = odk_client.OdkCentralClient(base, args.email, password, session=session)

    def record_feed(since, label):
        submissions = []
        for number, page in enumerate(
            client.iter_pages(pid, FORM_ID, since, PAGE_SIZE)
        ):
            session.exchanges[-1]["name"] = f"{label} page {number + 1}"
            submissions += page.submissions
        return submissions

    # -- phase "initial": the first import -----------------------------
    session.name = "login"
    client.login()
    bad = odk_client.OdkCentralClient(base, args.email, WRONG_PASSWORD, session=session)
    session.name = "login_wrong_password"
    with contextlib.suppress(odk_client.OdkAuthError):
        bad.login()
    session.name = "unauthenticated"
    session.get(f"{base}/v1/projects/{pid}/forms/{FORM_ID}.svc/Submissions", timeout=30)
    first = record_feed(None, "feed")
    watermark1 = odk_client.latest_timestamp(first)
    # Central's own nextLink of an ordered feed, followed as is: 501.1.
    session.name = "ordered_nextlink_as_is"
    params = odk_client.submissions_query(None, PAGE_SIZE)
    page = client.submissions_page(pid, FORM_ID, params)
    session.exchanges.pop()
    session.name = "ordered_nextlink_as_is"
    session.get(
        page.next_link,
        headers={"Authorization": f"Bearer {holder['token']}"},
        timeout=30,
    )
    session.name = "space_datetime_refused"
    session.get(
        f"{base}/v1/projects/{pid}/forms/{FORM_ID}.svc/Submissions",
        params={"$filter": "__system/submissionDate gt 2020-01-01 00:00:00"},
        headers={"Authorization": f"Bearer {holder['token']}"},
        timeout=30,
    )
    session.name = "deleted_listing"
    client.get_json(
        f"/v1/projects/{pid}/forms/{FORM_ID}.svc/Submissions",
        {"$filter": "__system/deletedAt ne null"},
    )
    session.name = "single_mobile"
    client.submission(pid, FORM_ID, ids["mobile"])
    session.name = "single_bad_iban"
    client.submission(pid, FORM_ID, ids["bad_iban"])
    session.name = "single_deleted"
    with contextlib.suppress(odk_client.OdkError):
        client.submission(pid, FORM_ID, ids["deleted"])
    record_feed(watermark1, "rerun")

    # -- changes in Central ---------------------------------------------
    time.sleep(1.1)

    def edit(key, payment):
        """Edit a submission in Central: a new instanceID deprecating it."""
        first_name, last, phone, _payment = SUBMISSIONS[key]
        call(
            "PUT",
            f"{subs}/{ids[key]}",
            data=submission_xml(
                f"uuid:{uuid.uuid4()}", first_name, last, phone, payment, ids[key]
            ).encode(),
            headers={"Content-Type": "application/xml"},
        )

    edit("mobile", {**SUBMISSIONS["mobile"][3], "payment_msisdn": EDITED_MSISDN})
    # The e-mail wallet's address removed (the provider stays), and the
    # payment kind set to none: both leave the registrant without an FA.
    edit("email", {"fa_kind": "email", "wallet_provider": "PAYMAIL"})
    edit("iban", {"fa_kind": "none"})
    call("PATCH", f"{subs}/{ids['bank']}", json={"reviewState": "approved"})
    ids["new"] = f"uuid:{uuid.uuid4()}"
    call(
        "POST",
        subs,
        data=submission_xml(ids["new"], *NEW_AFTER_EDIT).encode(),
        headers={"Content-Type": "application/xml"},
    )

    # -- phase "after_edit": the next poll ------------------------------
    session.phase = "after_edit"
    second = record_feed(watermark1, "feed")
    session.name = "single_iban_no_fa"
    client.submission(pid, FORM_ID, ids["iban"])
    watermark2 = odk_client.latest_timestamp(second, watermark1)
    record_feed(watermark2, "rerun")

    meta = {
        "recorded_from": "ODK Central (getodk/central-backend) on loopback",
        "central_version": os.environ.get("ODK_CENTRAL_VERSION", ""),
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "email": args.email,
        "project_id": pid,
        "form_id": FORM_ID,
        "page_size": PAGE_SIZE,
        "instance_ids": ids,
        "edited_msisdn": EDITED_MSISDN,
        "watermarks": {"initial": watermark1, "after_edit": watermark2},
    }
    out = Path(args.out)
    for phase in ("initial", "after_edit"):
        data = {
            **meta,
            "exchanges": [e for e in session.exchanges if e["phase"] == phase],
        }
        (out / f"central_{phase}.json").write_text(json.dumps(data, indent=1) + "\n")
    print(f"recorded {len(session.exchanges)} exchanges into {out}")


if __name__ == "__main__":
    main()
