"""ODK Central client: timestamps, filters, paging, against recorded answers.

The replayed answers were recorded from a real ODK Central by
scripts/odk_record.py (g2p_odk_importer_fa/tests/fixtures).
"""

from datetime import datetime, timezone

import pytest

from g2p_odk_importer_fa.lib import odk_client
from g2p_odk_importer_fa.tests import odk_replay

PASSWORD = "replay-password"


@pytest.fixture(scope="module")
def fixtures():
    return odk_replay.load_fixtures()


@pytest.fixture()
def replay(fixtures):
    with odk_replay.ReplayServer(fixtures, PASSWORD) as server:
        yield server


def _client(replay, fixtures, password=PASSWORD):
    return odk_client.OdkCentralClient(replay.url, fixtures["email"], password)


def test_timestamps_are_iso_with_t_and_z():
    naive_odoo_utc = datetime(2020, 1, 1, 0, 0, 0)
    assert odk_client.format_timestamp(naive_odoo_utc) == "2020-01-01T00:00:00.000Z"
    assert (
        odk_client.format_timestamp("2026-11-21T23:49:18.742Z")
        == "2026-11-21T23:49:18.742Z"
    )
    aware = odk_client.parse_timestamp("2026-11-22T01:49:18.742+02:00")
    assert aware == datetime(2026, 11, 21, 23, 49, 18, 742000, tzinfo=timezone.utc)


def test_filter_covers_new_and_edited_submissions():
    assert odk_client.build_filter(None) is None
    assert odk_client.build_filter("2026-11-21T23:49:18.742Z") == (
        "__system/submissionDate gt 2026-11-21T23:49:18.742Z"
        " or __system/updatedAt gt 2026-11-21T23:49:18.742Z"
    )
    query = odk_client.submissions_query("2026-11-21T23:49:18.742Z", 50)
    assert query["$orderby"] == "__system/submissionDate asc"
    assert query["$top"] == "50"


def test_latest_timestamp_takes_edits_and_keeps_the_exact_string():
    subs = [
        {"__system": {"submissionDate": "2026-01-01T00:00:00.100Z", "updatedAt": None}},
        {
            "__system": {
                "submissionDate": "2026-01-01T00:00:00.050Z",
                "updatedAt": "2026-01-02T00:00:00.001Z",
            }
        },
    ]
    assert odk_client.latest_timestamp(subs) == "2026-01-02T00:00:00.001Z"
    assert odk_client.latest_timestamp([], "2025-01-01T00:00:00.000Z") == (
        "2025-01-01T00:00:00.000Z"
    )


def test_ordered_next_link_is_followed_with_skip(fixtures):
    as_is = next(
        e for e in fixtures["exchanges"] if e["name"] == "ordered_nextlink_as_is"
    )
    # What Central itself answers to its own nextLink on an ordered feed.
    assert as_is["response"]["status"] == 501
    assert as_is["response"]["body"]["code"] == 501.1
    link = (
        "http://central.example.org/v1/projects/1/forms/f.svc/Submissions?"
        "%24top=2&%24orderby=__system%2FsubmissionDate+asc&%24skiptoken=01abc"
    )
    params = odk_client.next_page_params(link, 4)
    assert params == {
        "$top": "2",
        "$orderby": "__system/submissionDate asc",
        "$skip": "4",
    }
    unordered = "http://x/v1/p.svc/Submissions?%24top=2&%24skiptoken=01abc"
    assert odk_client.next_page_params(unordered, 2) == {
        "$top": "2",
        "$skiptoken": "01abc",
    }


def test_pages_until_central_is_done(replay, fixtures):
    client = _client(replay, fixtures)
    pages = list(
        client.iter_pages(fixtures["project_id"], fixtures["form_id"], None, 2)
    )
    ids = [s["__id"] for p in pages for s in p.submissions]
    expected = fixtures["instance_ids"]
    assert len(ids) == len(set(ids)) == 6
    assert expected["deleted"] not in ids
    assert pages[0].count == 6
    dates = [s["__system"]["submissionDate"] for p in pages for s in p.submissions]
    assert dates == sorted(dates)


def test_incremental_poll_after_an_edit(replay, fixtures):
    replay.phase = "after_edit"
    client = _client(replay, fixtures)
    since = fixtures["watermarks"]["initial"]
    subs = [
        s
        for p in client.iter_pages(
            fixtures["project_id"], fixtures["form_id"], since, 2
        )
        for s in p.submissions
    ]
    ids = fixtures["instance_ids"]
    assert {s["__id"] for s in subs} == {
        ids[k] for k in ("bank", "mobile", "iban", "email", "new")
    }
    edited = next(s for s in subs if s["__id"] == ids["mobile"])
    assert edited["__system"]["edits"] == 1
    assert edited["payment"]["payment_msisdn"] == fixtures["edited_msisdn"]
    # The edit kept the submission date and moved only updatedAt.
    assert (
        edited["__system"]["submissionDate"] <= since < edited["__system"]["updatedAt"]
    )


def test_single_submission_and_a_deleted_one(replay, fixtures):
    client = _client(replay, fixtures)
    ids = fixtures["instance_ids"]
    sub = client.submission(fixtures["project_id"], fixtures["form_id"], ids["mobile"])
    assert sub["__id"] == ids["mobile"]
    with pytest.raises(odk_client.OdkError) as err:
        client.submission(fixtures["project_id"], fixtures["form_id"], ids["deleted"])
    assert err.value.status == 404


def test_wrong_password_is_a_clear_auth_error(replay, fixtures):
    client = _client(replay, fixtures, password="not-the-password")
    with pytest.raises(odk_client.OdkAuthError) as err:
        client.login()
    assert err.value.status == 401
    assert err.value.code == 401.2
    assert "not-the-password" not in str(err.value)
    assert "Could not authenticate" in str(err.value)


def test_expired_token_logs_in_again(replay, fixtures):
    client = _client(replay, fixtures)
    client.token = "expired"
    page = client.submissions_page(
        fixtures["project_id"],
        fixtures["form_id"],
        odk_client.submissions_query(None, 2),
    )
    assert len(page.submissions) == 2
    assert [r[1] for r in replay.requests][:2] == [
        f"/v1/projects/{fixtures['project_id']}/forms/{fixtures['form_id']}.svc/Submissions",
        "/v1/sessions",
    ]


def test_unreachable_central():
    client = odk_client.OdkCentralClient("http://127.0.0.1:9", "a@b.c", "pw")
    with pytest.raises(odk_client.OdkError) as err:
        client.login()
    assert err.value.status == 0
    assert "pw" not in repr(client)


def test_url_is_checked():
    with pytest.raises(odk_client.OdkError):
        odk_client.OdkCentralClient("central.example.org", "a", "b")
    client = odk_client.OdkCentralClient("https://c.example.org/v1/", "a", "b")
    assert client.base_url == "https://c.example.org"
