# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import os

from odoo.addons.g2p_spar_fa_sync.tests.common import SparSyncCommon

from . import odk_replay

REPLAY_PASSWORD = "replay-password"
LIVE_ENV = ("ODK_CENTRAL_URL", "ODK_CENTRAL_EMAIL", "ODK_CENTRAL_PASSWORD")


def live_settings():
    """Central to test against when the environment names one, else None."""
    if not all(os.environ.get(name) for name in LIVE_ENV):
        return None
    return {
        "central_url": os.environ["ODK_CENTRAL_URL"],
        "username": os.environ["ODK_CENTRAL_EMAIL"],
        "password": os.environ["ODK_CENTRAL_PASSWORD"],
        "project_id": int(os.environ.get("ODK_CENTRAL_PROJECT_ID") or 0),
        "form_id": os.environ.get("ODK_CENTRAL_FORM_ID") or "",
    }


class OdkReplayCommon(SparSyncCommon):
    """An import configuration pointed at recorded ODK Central answers.

    The loopback server replays what ``scripts/odk_record.py`` recorded from
    a real Central: phase ``initial`` (the first poll) and, after
    :meth:`central_changes`, phase ``after_edit`` (one submission edited, one
    reviewed, one added).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fixtures = odk_replay.load_fixtures()
        cls.ids = cls.fixtures["instance_ids"]
        cls.replay = odk_replay.ReplayServer(cls.fixtures, REPLAY_PASSWORD).start()
        cls.addClassCleanup(cls.replay.stop)
        cls.Config = cls.env["g2p.odk.import.config"]
        cls.Record = cls.env["g2p.odk.import.record"]
        cls.config = cls.Config.create(
            {
                "name": "Replayed Central",
                "central_url": cls.replay.url,
                "project_id": cls.fixtures["project_id"],
                "form_id": cls.fixtures["form_id"],
                "username": cls.fixtures["email"],
                "password": REPLAY_PASSWORD,
                "page_size": cls.fixtures["page_size"],
                "overlap_seconds": 0,
            }
        )

    def setUp(self):
        super().setUp()
        self.replay.phase = "initial"
        self.replay.requests.clear()

    def central_changes(self):
        self.replay.phase = "after_edit"

    def record_of(self, key):
        return self.Record.search(
            [("config_id", "=", self.config.id), ("instance_id", "=", self.ids[key])]
        )

    def registrant_of(self, key):
        return self.record_of(key).partner_id

    def odk_rows(self):
        return self.Outbox.search([("channel", "=", "odk")], order="id")
