"""Secrets on the running system: sealed in the database, nowhere in the
filestore, out of reach of department users over RPC, and still in use."""

import base64
import hashlib

import pytest
import sysharness as h

KEY_PARAM = "g2p_spar_fa_sync.private_key"
DRAIN_TIMEOUT = 120


def test_uploaded_partner_key_is_sealed_and_signs_for_spar(
    admin, fa_manager, stack, spar
):
    pem = stack.private_key.read_bytes()
    settings_id = admin(
        "res.config.settings",
        "create",
        {"g2p_spar_private_key_upload": base64.b64encode(pem).decode()},
    )
    admin("res.config.settings", "execute", [settings_id])
    stored = stack.psql(
        f"SELECT value FROM ir_config_parameter WHERE key = '{KEY_PARAM}'",
        db=h.SYSTEM_DB,
    )
    assert stored.startswith("fernet:")
    assert "PRIVATE KEY" not in stored
    checksum = hashlib.sha1(pem).hexdigest()
    attachments = stack.psql(
        f"SELECT count(*) FROM ir_attachment WHERE checksum = '{checksum}'",
        db=h.SYSTEM_DB,
    )
    assert attachments == "0"
    filestore = stack.root / "filestore" / "filestore" / h.SYSTEM_DB
    assert not list(filestore.glob(f"*/{checksum}"))
    # The workers and the job runner sign with the key read back from the
    # database: SPAR accepts it.
    (partner_id,) = h.create_registrants(admin, 1, "Signed with the upload")
    fa_manager("g2p.payment.fa", "create", h.fa_vals(partner_id, "+254700300301"))
    h.wait_drained(admin, [partner_id], DRAIN_TIMEOUT)
    ((spar_id, fa),) = h.current_fas(admin, [partner_id]).values()
    assert spar.resolve([spar_id])[spar_id] == fa == "phone:+254700300301"
    # Over RPC an administrator gets ciphertext at most; an FA manager nothing.
    assert admin("ir.config_parameter", "get_param", KEY_PARAM) == stored
    with pytest.raises(h.RpcError, match="AccessError"):
        fa_manager("ir.config_parameter", "get_param", KEY_PARAM)


def test_odk_password_is_sealed_and_central_still_accepts_it(admin, fa_manager, stack):
    replay_lib = h.odk_replay_module()
    with replay_lib.ReplayServer(replay_lib.load_fixtures(), "secret-pw-3") as replay:
        config_id = h.replay_import_config(admin, replay, "Sealed password")
        result = admin("g2p.odk.import.config", "action_test_connection", [config_id])
    assert result["params"]["type"] == "success"
    row = stack.psql(
        "SELECT row_to_json(c)::text FROM g2p_odk_import_config c "
        f"WHERE id = {config_id}",
        db=h.SYSTEM_DB,
    )
    assert "secret-pw-3" not in row
    assert "fernet:" in row
    (shown,) = admin("g2p.odk.import.config", "read", [config_id], ["password"])
    assert shown["password"] is False
    for field in ("password", "password_encrypted"):
        with pytest.raises(h.RpcError, match="AccessError"):
            fa_manager("g2p.odk.import.config", "read", [config_id], [field])
    (seen,) = fa_manager("g2p.odk.import.config", "read", [config_id], ["name"])
    assert seen["name"] == "Sealed password"
