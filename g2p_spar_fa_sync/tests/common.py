# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextlib
import itertools
import socket
import uuid
from datetime import timedelta
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.tools import config

from odoo.addons.g2p_spar_fa_base.tests.common import PaymentFaCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib import secret_box, spar_push
from ..models.secret_box import SECRET_KEY_OPTION

_refs = itertools.count(1)
PARAM = "g2p_spar_fa_sync."
# The SPAR mapper's own database on the test stack (scripts/stack.py).
SPAR_DB = "spar_mapper"
TEST_SECRET_KEY = secret_box.generate_key()


@contextlib.contextmanager
def _transaction_in_a_test(outbox):
    """The outbox's own short transaction, as a test can have one.

    A test's data lives in a transaction no other one sees, so the jobs'
    transactions become savepoints of it: a TransactionCase's own cursor, or
    the test cursors an HttpCase's registry hands out (whose isolation the
    test's transaction has already set).
    """
    if outbox.env.registry.in_test_mode():
        with outbox.env.registry.cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})
    else:
        with outbox.env.cr.savepoint():
            yield outbox.env(su=True)


@contextlib.contextmanager
def _dispatcher_session_in_a_test(outbox):
    """The dispatchers' lock session, as a test can have one: the test's own
    (or, in an HttpCase, its test cursor's), whose transaction already holds
    whatever locks the test's commits took: another session would wait for
    them until the test ends."""
    if outbox.env.registry.in_test_mode():
        with outbox.env.registry.cursor() as cr:
            yield cr
    else:
        yield outbox.env.cr


class SparSyncCommon(PaymentFaCommon):
    """Registrants with FAs, and a way to drain the outbox into the real SPAR.

    SPAR's database outlives each test's transaction: every registrant gets a
    registrant ID unique to the run, so tests never see each other's mappings.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Outbox = cls.env["g2p.spar.outbox"]
        cls.connector = cls.env["g2p.spar.connector"]
        cls.run_tag = uuid.uuid4().hex[:10].upper()
        # What g2p_secret_key in the server configuration gives a deployment.
        cls.startClassPatcher(
            patch.dict(config.options, {SECRET_KEY_OPTION: TEST_SECRET_KEY})
        )
        cls.startClassPatcher(
            patch.object(type(cls.Outbox), "_own_transaction", _transaction_in_a_test)
        )
        cls.startClassPatcher(
            patch.object(
                type(cls.Outbox), "_dispatcher_session", _dispatcher_session_in_a_test
            )
        )

    def _registrant(self, name="Registrant"):
        return self._create_registrant(
            name, registrant_ref=f"T{self.run_tag}{next(_refs):04d}"
        )

    def _mobile_fa(self, partner, msisdn, **vals):
        return self._create_fa(partner, kind="mobile", payment_msisdn=msisdn, **vals)

    def _rows(self, partner):
        return self.Outbox.search([("partner_id", "=", partner.id)], order="sequence")

    @staticmethod
    def _found_in_spar(rows, verification):
        """Rows given a read-back verdict they already have another one for:
        no move of the outbox does that, so this bypasses it (SQL)."""
        rows.env.flush_all()
        rows.env.cr.execute(
            "UPDATE g2p_spar_outbox SET verification = %s WHERE id = ANY(%s)",
            (verification, rows.ids),
        )
        rows.invalidate_recordset(["verification"])

    @staticmethod
    def _answered(rows, state, **vals):
        """Rows claimed, then answered by SPAR with ``state`` (the only way
        the outbox's moves let a pending row reach done or failed)."""
        rows.write({"state": "sending"})
        rows.write(dict(vals, state=state))

    def _set(self, name, value):
        self.env["ir.config_parameter"].set_param(PARAM + name, value)

    @contextlib.contextmanager
    def spar_down(self):
        """SPAR unreachable: its URL points at a port nobody listens on."""
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed_port = sock.getsockname()[1]
        real_url = self.connector._settings().spar_url
        self._set("spar_url", f"http://127.0.0.1:{closed_port}")
        try:
            yield
        finally:
            self._set("spar_url", real_url)

    def _client(self):
        return self.connector._client(self.connector._settings())

    def spar_fa(self, partner, spar_id=None):
        """The FA SPAR resolves for the registrant right now (None: unmapped)."""
        spar_id = spar_id or partner.spar_id
        return spar_push.resolve_fas(self._client(), [spar_id])[spar_id]

    def spar_table_row(self, partner):
        """SPAR's own row for the registrant, read from its table: SPAR's
        resolve never returns the name or phone it holds."""
        with sql_db.db_connect(SPAR_DB).cursor() as cr:
            cr.execute(
                "SELECT fa_value, name, phone, additional_info FROM id_fa_mappings"
                " WHERE id_value = %s",
                (partner.spar_id,),
            )
            return cr.dictfetchone()

    def make_due(self):
        """Skip the back-off of rows waiting to retry, as time passing would."""
        self.Outbox.search([("state", "=", "retry_wait")]).write(
            {"next_attempt_at": fields.Datetime.now() - timedelta(seconds=1)}
        )

    def drain(self, rounds=20):
        """Run dispatch jobs until nothing is claimable, then the read-back
        (what the job runner does); jobs they enqueue are trapped, not run
        twice. Returns how many jobs ran."""
        jobs = 0
        with trap_jobs():
            while self.Outbox._claimable_exists():
                if jobs == rounds:
                    raise AssertionError("the outbox did not drain")
                self.Outbox._dispatch()
                jobs += 1
            for _round in range(rounds):
                if not self.Outbox._unverified_exists():
                    return jobs
                with contextlib.suppress(RetryableJobError):
                    self.Outbox._read_back()  # the runner would retry it
                jobs += 1
        raise AssertionError("the read-back did not finish")
