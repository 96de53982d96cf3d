# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from odoo.addons.g2p_spar_fa_ui.tests.common import FaUiHttpCase

CREATE = "/portal/registration/individual/create/submit"
UPDATE = "/portal/registration/individual/update/submit"


@tagged("post_install", "-at_install")
class TestRegistrationPortalPaymentFa(FaUiHttpCase):
    """OpenG2P's registration portal saves payment FAs through the FA model,
    for the agent's own registrants only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls._login_user("agent", "base.group_portal")
        cls.other_agent = cls._login_user("agent2", "base.group_portal")

    def _individual(self, user, name="Mine"):
        partner = self._registrant(name)
        partner.user_id = user
        return partner

    def _post(self, url, **fields):
        return self.url_open(url, data=fields)

    def test_create_with_a_payment_number_reaches_spar_on_the_portal_channel(self):
        self.authenticate("agent", "agent")
        form = self.url_open("/portal/registration/individual/create/")
        self.assertIn('name="payment_msisdn"', form.text)
        response = self._post(
            CREATE,
            given_name="Amina",
            family_name="Odhiambo",
            email="amina@example.org",
            kind="mobile",
            payment_msisdn="0712345678",
            provider_code="MPESA",
        )
        self.assertEqual(response.status_code, 200)
        partner = self.env["res.partner"].search(
            [("user_id", "=", self.agent.id), ("is_registrant", "=", True)]
        )
        self.assertEqual(len(partner), 1)
        fa = partner.payment_fa_id.sudo()
        self.assertEqual(fa.payment_msisdn, "+254712345678")
        self.assertFalse(partner.phone, "the payment number is no contact phone")
        self.assertEqual(self._rows(partner).mapped("channel"), ["portal"])
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712345678")

    def test_an_invalid_fa_comes_back_next_to_its_field_and_saves_nothing(self):
        self.authenticate("agent", "agent")
        response = self._post(
            CREATE,
            given_name="Baraka",
            family_name="Mwangi",
            kind="bank",
            iban="DE00 1234",
            bank_id=str(self.bank.id),
        )
        self.assertEqual(response.status_code, 200)
        self.assertRegex(
            response.text, r'data-field="iban"[^>]*>[^<]*is not a valid IBAN'
        )
        self.assertIn('value="DE00 1234"', response.text)
        self.assertIn('value="Baraka"', response.text)
        self.assertFalse(
            self.env["res.partner"].search([("user_id", "=", self.agent.id)])
        )

    def test_update_replaces_the_fa_and_a_rejected_one_keeps_the_old(self):
        partner = self._individual(self.agent)
        old = self._mobile_fa(partner, "+254712345678")
        self.authenticate("agent", "agent")
        page = self.url_open(f"/portal/registration/individual/update/{partner.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_g2p_payment_fa_section", page.text)
        response = self._post(
            UPDATE,
            group_id=str(partner.id),
            given_name="Mine",
            kind="mobile",
            payment_msisdn="12",
        )
        self.assertIn('data-field="payment_msisdn"', response.text)
        self.assertEqual(partner.payment_fa_id, old)
        self._post(
            UPDATE,
            group_id=str(partner.id),
            given_name="Mine",
            kind="bank",
            account_number="1234567",
            bank_id=str(self.bank.id),
        )
        self.assertEqual(partner.payment_fa_id.kind, "bank")
        self.drain()
        self.assertEqual(self.spar_fa(partner), "account_no:1234567@COBADEFFXXX")

    def test_another_agents_registrant_is_refused(self):
        """OpenG2P's own handlers would show and overwrite any registrant
        whose id is posted; with the payment section, nothing of it."""
        theirs = self._individual(self.other_agent, "Theirs")
        fa = self._mobile_fa(theirs, "+254712345678")
        self.authenticate("agent", "agent")
        page = self.url_open(f"/portal/registration/individual/update/{theirs.id}")
        self.assertEqual(page.status_code, 404)
        response = self._post(
            UPDATE,
            group_id=str(theirs.id),
            given_name="Hijacked",
            kind="mobile",
            payment_msisdn="0799999999",
        )
        self.assertEqual(response.status_code, 404)
        theirs.invalidate_recordset()
        self.assertEqual(theirs.name, "Theirs")
        self.assertEqual(theirs.payment_fa_id, fa)
        self.assertEqual(self._post(UPDATE, group_id="x").status_code, 404)

    def test_tour_registers_an_individual_with_a_payment_number(self):
        if not self.env["gender.type"].search([("code", "=ilike", "female")]):
            self.env["gender.type"].create({"code": "Female", "value": "Female"})
        self.start_tour(
            "/portal/registration/individual/create/",
            "g2p_spar_fa_openg2p_portal_payment",
            login="agent",
        )
        partner = self.env["res.partner"].search([("given_name", "=", "Zawadi")])
        self.assertEqual(partner.user_id, self.agent)
        self.assertEqual(self._rows(partner).mapped("channel"), ["portal"])
        self.drain()
        self.assertEqual(self.spar_fa(partner), "phone:+254712000333")
        with self.screenshot("registration_portal_payment"):
            self.start_tour(
                f"/portal/registration/individual/update/{partner.id}",
                "g2p_spar_fa_openg2p_portal_payment_shown",
                login="agent",
            )
