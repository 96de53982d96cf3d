# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.addons.g2p_spar_fa_sync.tests.common import SparSyncCommon
from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.res_partner_bank import FOLLOW_PARAM

# A valid IBAN (ISO 13616's German example) and an account number the FA
# model refuses (characters an account number cannot hold).
IBAN = "DE89370400440532013000"
BAD_ACCOUNT = "12#34/56"


class BankAccountCommon(SparSyncCommon):
    """Registrants with OpenG2P bank accounts, and running a backfill."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Backfill = cls.env["g2p.payment.fa.backfill"]
        cls.bank_without_bic = cls.env["res.bank"].create({"name": "No BIC Bank"})
        cls.user_admin = cls._create_user(
            "fa_admin_bank", "g2p_spar_fa_base.group_fa_admin"
        )

    def _account(self, partner, acc_number, bank=None, **vals):
        return self.env["res.partner.bank"].create(
            {
                "partner_id": partner.id,
                "acc_number": acc_number,
                "bank_id": (bank or self.bank).id,
                **vals,
            }
        )

    def _follow(self, on=True):
        self.env["ir.config_parameter"].set_param(FOLLOW_PARAM, on and "True")

    def _backfill(self, source="bank", replace_other=False, chunk_size=1000):
        """Start a backfill as an FA administrator and run its chunks' jobs
        (the dispatch jobs they queue are left to :meth:`drain`)."""
        with trap_jobs() as trap:
            run = self.Backfill.with_user(self.user_admin)._start(
                source, replace_other, chunk_size
            )
            for job in list(trap.enqueued_jobs):
                if job.method_name == "_run":
                    job.perform()
        return run.sudo()
