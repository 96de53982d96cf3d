"""The SPAR client over a stub session: no network, no Odoo.

The stub answers like the mapper (shapes taken from openg2p-spar-mapper-api
1.1.0); tests/test_spar_live.py checks the same behaviour against the real
server.
"""

import json
import re

import pytest
import requests
from protocol_helpers import ALREADY_MAPPED, FA, FA_SECRET_PART, server_side_verify

from g2p_spar_fa_sync.lib.spar_client import (
    SparClient,
    SparPermanentError,
    SparTransientError,
)
from g2p_spar_fa_sync.lib.spar_envelope import (
    FaMapping,
    FaUnlink,
)
from g2p_spar_fa_sync.lib.spar_outcomes import OutcomeKind

K = OutcomeKind


def _response(status_code, payload):
    response = requests.Response()
    response.status_code = status_code
    response._content = (
        payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    )
    response.headers["Content-Type"] = "application/json"
    return response


class StubSession:
    """Records posts and answers with ``answer(action, request_json)``."""

    def __init__(self, answer):
        self.answer = answer
        self.posts = []
        self.closed = 0

    def post(self, url, data, headers, timeout):
        self.posts.append((url, data, headers, timeout))
        result = self.answer(url.rsplit("/", 1)[1], json.loads(data))
        if isinstance(result, Exception):
            raise result
        return result

    def close(self):
        self.closed += 1


def mapper_answer(item_answer, reverse=True, header_status="succ", reason=None):
    """A mapper-shaped 200 answer; ``item_answer(action, item) -> dict | None``."""

    def answer(action, request):
        items = request["message"][f"{action}_request"]
        if header_status == "rjct":
            items = []
        answers = [
            dict(reference_id=item["reference_id"], **result)
            for item in items
            if (result := item_answer(action, item)) is not None
        ]
        if reverse:
            answers.reverse()
        return _response(
            200,
            {
                "header": {
                    "version": "1.0.0",
                    "message_id": request["header"]["message_id"],
                    "action": action,
                    "status": header_status,
                    "status_reason_code": reason,
                    "status_reason_message": reason,
                },
                "message": (
                    {}
                    if header_status == "rjct"
                    else {
                        "transaction_id": request["message"]["transaction_id"],
                        f"{action}_response": answers,
                    }
                ),
            },
        )

    return answer


def make_client(signer, answer, **kwargs):
    session = StubSession(answer)
    client = SparClient(
        "http://spar.test/",
        signer,
        "openg2p-sr",
        "spar",
        timeout=(1, 2),
        session=session,
        **kwargs,
    )
    return client, session


def test_client_matches_outcomes_by_reference_id_and_signs_the_body(signer, public_pem):
    def item_answer(action, item):
        if item["id"].endswith("known"):
            return {
                "status": "rjct",
                "status_reason_code": "rjct.reference_id.duplicate",
                "status_reason_message": ALREADY_MAPPED,
            }
        if item["id"].endswith("lost"):
            return None
        return {"status": "succ", "fa": item["fa"]}

    client, session = make_client(signer, mapper_answer(item_answer, reverse=True))
    items = [
        FaMapping("r1", "token:new", FA),
        FaMapping("r2", "token:known", FA),
        FaMapping("r3", "token:lost", FA),
    ]
    result = client.link(items)

    url, body, headers, timeout = session.posts[0]
    assert url == "http://spar.test/sync/link"
    assert timeout == (1, 2)
    assert headers["Content-Type"] == "application/json"
    assert server_side_verify(body, headers["Signature"], public_pem) == body
    sent = json.loads(body)
    assert result.message_id == sent["header"]["message_id"]
    assert result.transaction_id == sent["message"]["transaction_id"]

    assert list(result) == ["r1", "r2", "r3"]
    assert result["r1"].kind is K.DONE
    assert result["r1"].fa is None  # link outcomes carry no FA
    assert result["r2"].kind is K.ALREADY_LINKED
    assert result["r2"].id == "token:known"
    assert result["r3"].kind is K.RETRY
    assert result["r3"].status is None
    assert result.counts() == {"done": 1, "already_linked": 1, "retry": 1}
    assert [ref for ref, o in result.items() if o.kind is K.RETRY] == ["r3"]
    assert FA_SECRET_PART not in repr(result["r1"]) + repr(result)


def test_client_resolve_tells_linked_from_not_linked(signer):
    def item_answer(action, item):
        if item["id"] == "token:1":
            return {"status": "succ", "fa": FA, "id": item["id"]}
        return {
            "status": "succ",
            "fa": "",
            "status_reason_code": "succ.fa.not_linked_to_id",
            "status_reason_message": "ID doesn't exist, please link first",
        }

    client, session = make_client(signer, mapper_answer(item_answer))
    result = client.resolve(["token:1", "token:2", "token:1"])
    sent = json.loads(session.posts[0][1])
    assert [r["id"] for r in sent["message"]["resolve_request"]] == [
        "token:1",
        "token:2",
    ]
    by_id = result.by_id()
    assert by_id["token:1"].linked
    assert by_id["token:1"].fa == FA
    assert by_id["token:2"].kind is K.NOT_LINKED
    assert not by_id["token:2"].linked
    assert by_id["token:2"].fa is None


def test_client_unlink_accepts_plain_ids(signer):
    client, session = make_client(
        signer, mapper_answer(lambda action, item: {"status": "succ"})
    )
    with pytest.raises(TypeError, match="not a single string"):
        client.unlink("token:1")
    with pytest.raises(TypeError, match="not a single string"):
        client.resolve("token:1")
    result = client.unlink(["token:1", FaUnlink("ref", "token:2")])
    assert set(result) == {"token:1", "ref"}
    sent = json.loads(session.posts[0][1])["message"]["unlink_request"]
    assert all("fa" not in item for item in sent)


def test_signature_rejection_is_permanent_and_says_so(signer):
    client, _session = make_client(
        signer,
        mapper_answer(None, header_status="rjct", reason="rjct.jwt.invalid"),
    )
    with pytest.raises(SparPermanentError, match="signature") as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert caught.value.reason_code == "rjct.jwt.invalid"
    assert caught.value.http_status == 200
    assert caught.value.message_id


def test_header_rejection_with_retry_code_is_transient(signer):
    client, _ = make_client(
        signer, mapper_answer(None, header_status="rjct", reason="rjct.unknown.retry")
    )
    with pytest.raises(SparTransientError):
        client.unlink(["token:1"])


def test_http_500_is_transient_and_resets_the_session(signer):
    debug_body = {
        "errors": [
            {
                "code": "G2P-REQ-100",
                "message": f"Unknown Error. duplicate key [parameters: ('{FA}',)]",
            }
        ]
    }
    client, session = make_client(signer, lambda action, request: None)
    session.answer = lambda action, request: _response(500, debug_body)
    with pytest.raises(SparTransientError) as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert caught.value.http_status == 500
    assert "G2P-REQ-100" in str(caught.value)
    assert FA_SECRET_PART not in str(caught.value)
    assert session.closed == 1
    assert client._session is session  # a caller's session is kept, pools emptied


def test_connection_errors_are_transient_and_replace_an_own_session(
    signer, monkeypatch
):
    client = SparClient("http://spar.test", signer, "openg2p-sr", "spar")
    first = client._session
    failing = StubSession(
        lambda action, request: requests.ConnectionError("Connection aborted")
    )
    client._session = failing
    with pytest.raises(SparTransientError, match="in transit"):
        client.resolve(["token:1"])
    assert failing.closed == 1
    assert client._session is not failing
    assert client._session is not first
    assert isinstance(client._session, requests.Session)

    client._session = StubSession(lambda action, request: requests.ReadTimeout())
    with pytest.raises(SparTransientError, match="ReadTimeout"):
        client.resolve(["token:1"])


def test_schema_error_is_permanent(signer):
    body = {"errors": [{"code": "G2P-REQ-102", "message": "Invalid Input. Field"}]}
    client, session = make_client(signer, lambda a, r: _response(400, body))
    with pytest.raises(SparPermanentError, match="HTTP 400 \\(G2P-REQ-102\\)"):
        client.update([FaMapping("r", "token:1", FA)])
    assert session.closed == 0


@pytest.mark.parametrize(
    "payload",
    [b"<html>proxy error</html>", {"header": "x"}, {"header": {"status": "succ"}}],
)
def test_malformed_answers_are_permanent(signer, payload):
    client, _ = make_client(signer, lambda a, r: _response(200, payload))
    with pytest.raises(SparPermanentError):
        client.link([FaMapping("r", "token:1", FA)])


def test_answer_for_another_message_is_permanent(signer):
    def answer(action, request):
        request["header"]["message_id"] = "someone-else"
        return mapper_answer(lambda a, i: {"status": "succ"})(action, request)

    client, _ = make_client(signer, answer)
    with pytest.raises(SparPermanentError, match="another message_id"):
        client.link([FaMapping("r", "token:1", FA)])


def test_client_refuses_same_id_twice_before_sending(signer):
    client, session = make_client(signer, lambda a, r: None)
    with pytest.raises(ValueError, match="same id"):
        client.link([FaMapping("a", "token:1", FA), FaMapping("b", "token:1", FA)])
    assert session.posts == []


def test_error_messages_never_show_an_fa(signer):
    client, _ = make_client(
        signer, mapper_answer(None, header_status="rjct", reason="rjct.jwt.invalid")
    )
    with pytest.raises(SparPermanentError) as caught:
        client.link([FaMapping("r", "token:1", FA)])
    assert not re.search(FA_SECRET_PART, f"{caught.value} {caught.value!r}")
