# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import copy
import json

from odoo.tests import tagged

from odoo.addons.g2p_odk_importer_fa.lib.submission_mapping import DEFAULT_MAPPING
from odoo.addons.g2p_odk_importer_fa.tests import odk_replay
from odoo.addons.g2p_odk_importer_fa.tests.common import OdkReplayCommon

MAPPING = dict(
    DEFAULT_MAPPING, reg_id="national_id", gender="gender", birthdate="birthdate"
)


@tagged("post_install", "-at_install")
class TestOdkOpenG2pIndividuals(OdkReplayCommon):
    """Recorded submissions, with the ID, gender and birthdate a registration
    form of an OpenG2P deployment asks for, become OpenG2P individuals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.id_type = cls.env["g2p.id.type"].create({"name": "National ID T"})
        cls.female = cls.env["gender.type"].search([("code", "=ilike", "female")])
        if not cls.female:
            cls.female = cls.env["gender.type"].create(
                {"code": "Female", "value": "female"}
            )
        cls.config.write(
            {"reg_id_type_id": cls.id_type.id, "field_mapping": json.dumps(MAPPING)}
        )

    def _submissions(self, **changes):
        """The recorded good submissions with the OpenG2P fields filled."""
        subs = []
        for index, sub in enumerate(odk_replay.recorded_feed(self.fixtures)):
            if sub["__id"] not in (self.ids[k] for k in ("bank", "mobile")):
                continue
            sub = copy.deepcopy(sub)
            sub.update(
                national_id=f"NID-{index}",
                gender=self.female.code,
                birthdate="1990-04-01",
            )
            sub.update(changes.get(sub["__id"], {}))
            subs.append(sub)
        return subs

    def _import(self, subs):
        return self.Record._import_page(self.config, subs, MAPPING)

    def test_individuals_with_their_id_phone_gender_and_birthdate(self):
        self.assertEqual(self._import(self._submissions()), ["created", "created"])
        amina = self.registrant_of("bank")
        self.assertFalse(amina.is_group)
        self.assertEqual(amina.gender, self.female.value)
        self.assertEqual(str(amina.birthdate), "1990-04-01")
        self.assertEqual(amina.reg_ids.id_type, self.id_type)
        self.assertRegex(amina.reg_ids.value, r"^NID-\d+$")
        self.assertEqual(amina.phone_number_ids.mapped("phone_no"), ["+254700000101"])
        self.assertEqual(amina.payment_fa_id.kind, "bank")
        self.assertEqual(amina.phone, "+254700000101")

    def test_an_edit_updates_the_same_individual(self):
        self._import(self._submissions())
        amina = self.registrant_of("bank")
        edited = {
            "national_id": "NID-NEW",
            "contact_phone": "+254700000999",
            "__system": {
                "submissionDate": "2026-11-30T18:44:13.984Z",
                "updatedAt": "2026-12-01T08:00:00.000Z",
            },
        }
        outcomes = self._import(self._submissions(**{self.ids["bank"]: edited}))
        self.assertEqual(outcomes, ["updated", "unchanged"])
        self.assertEqual(self.registrant_of("bank"), amina)
        self.assertEqual(amina.reg_ids.mapped("value"), ["NID-NEW"])
        self.assertEqual(
            sorted(amina.phone_number_ids.mapped("phone_no")),
            ["+254700000101", "+254700000999"],
        )
        emptied = dict(
            edited,
            national_id="",
            __system={"updatedAt": "2026-12-02T08:00:00.000Z"},
        )
        self._import(self._submissions(**{self.ids["bank"]: emptied}))
        self.assertFalse(amina.reg_ids)

    def test_a_bad_value_fails_that_submission_only(self):
        bad = {self.ids["bank"]: {"gender": "unknown", "birthdate": "1990-04-01"}}
        self.assertEqual(self._import(self._submissions(**bad)), ["failed", "created"])
        self.assertIn("gender: unknown gender", self.record_of("bank").error)
        future = {
            self.ids["mobile"]: {
                "birthdate": "2999-01-01",
                "__system": {"updatedAt": "2026-12-03T08:00:00.000Z"},
            }
        }
        self._import(self._submissions(**future))
        self.assertIn("birthdate: is in the future", self.record_of("mobile").error)
