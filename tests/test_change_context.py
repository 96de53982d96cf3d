"""Unit tests of the change channel names and the change description."""

import pytest

from g2p_spar_fa_base.lib import change


def test_a_change_names_a_known_channel():
    assert change.ChangeContext(change.API, "Lost card", "REQ-1").reason == "Lost card"
    with pytest.raises(ValueError, match="unknown change channel"):
        change.ChangeContext("sms")


def test_a_change_cannot_be_altered_once_declared():
    declared = change.ChangeContext(change.PORTAL)
    with pytest.raises(AttributeError):
        declared.channel = change.BACKEND


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://odoo:8069/jsonrpc", True),
        ("http://odoo:8069/xmlrpc/2/object", True),
        ("http://odoo:8069/xmlrpc/object", True),
        ("http://odoo:8069/web/dataset/call_kw/res.partner/write", False),
        ("http://odoo:8069/my/registrants/7?next=/jsonrpc", False),
        ("http://odoo:8069/jsonrpcx", False),
        (None, False),
    ],
)
def test_rpc_endpoints_are_recognised_by_path(url, expected):
    assert change.is_rpc_url(url) is expected
