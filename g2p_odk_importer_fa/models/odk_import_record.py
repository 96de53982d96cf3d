# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import odk_client, submission_mapping

_logger = logging.getLogger(__name__)

ADMIN = "base.group_system"
MANAGER = "g2p_spar_fa_base.group_fa_manager"
# Fields of g2p.payment.fa an ODK submission sets; an FA whose values all
# equal these is the same FA and is not recorded again.
FA_COMPARED = (
    "kind",
    "account_number",
    "iban",
    "bic",
    "bank_id",
    "bank_code",
    "branch_code",
    "holder_name",
    "payment_msisdn",
    "payment_email",
    "provider_code",
)
# What a submission can fail on and still leave the others importing.
SUBMISSION_ERRORS = (submission_mapping.MappingError, ValidationError, UserError)


class G2pOdkImportRecord(models.Model):
    """One ODK submission (by instanceID) and what became of it.

    It makes imports idempotent: a submission whose version (``updatedAt``,
    else ``submissionDate``) was processed already is skipped, an edited one
    updates the registrant it created. A failed submission keeps its error
    and raw data here, without holding back the others; an administrator
    fixes the data (here or in Central) and retries.
    """

    _name = "g2p.odk.import.record"
    _description = "ODK Submission Import"
    _order = "state, id desc"
    _rec_name = "instance_id"

    config_id = fields.Many2one(
        "g2p.odk.import.config", required=True, ondelete="cascade", index=True
    )
    instance_id = fields.Char(string="Instance ID", required=True, readonly=True)
    partner_id = fields.Many2one(
        "res.partner", string="Registrant", readonly=True, index=True
    )
    payment_fa_id = fields.Many2one(
        "g2p.payment.fa", string="Payment FA", readonly=True
    )
    state = fields.Selection(
        [("done", "Imported"), ("failed", "Failed")],
        required=True,
        readonly=True,
        index=True,
    )
    error = fields.Text(readonly=True, groups=MANAGER)
    raw_data = fields.Text(
        string="Submission (JSON)",
        groups=MANAGER,
        help="The submission as ODK Central sent it. An administrator can "
        "correct it and retry.",
    )
    submission_date = fields.Char(readonly=True)
    odk_version = fields.Char(
        string="Version imported",
        readonly=True,
        help="updatedAt (else submissionDate) of the version processed last.",
    )
    attempts = fields.Integer(readonly=True, default=0)
    last_attempt_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "instance_unique",
            "UNIQUE (config_id, instance_id)",
            "A submission is imported once per configuration.",
        )
    ]

    # ------------------------------------------------------------------
    # importing

    @api.model
    def _import_page(self, config, submissions, mapping, force=False):
        """Import submissions, each in its own savepoint; return outcomes.

        Every change is made with ``g2p_fa_channel="odk"``, which the outbox
        rows written for it record as their channel.
        """
        records = self.with_context(
            g2p_fa_channel="odk",
            # Bulk import: the import record is the registrant's audit trail,
            # not a chatter message per contact.
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
        )
        existing = {
            rec.instance_id: rec
            for rec in records.search(
                [
                    ("config_id", "=", config.id),
                    ("instance_id", "in", [s.get("__id") for s in submissions]),
                ]
            )
        }
        settings = self.env["g2p.payment.fa"]._get_fa_settings()
        outcomes = []
        for submission in submissions:
            record = existing.get(submission.get("__id"), records.browse())
            outcomes.append(
                record._import_one(config, submission, mapping, settings, force)
            )
        return outcomes

    def _import_one(self, config, submission, mapping, settings, force=False):
        instance_id = submission.get("__id") or ""
        version = odk_client.submission_version(submission)
        if (
            self
            and not force
            and not submission_mapping.version_is_newer(version, self.odk_version)
        ):
            return "unchanged"
        vals = {
            "config_id": config.id,
            "instance_id": instance_id,
            "submission_date": (submission.get("__system") or {}).get("submissionDate"),
            "odk_version": version,
            "raw_data": json.dumps(submission, indent=1, ensure_ascii=False),
            "attempts": self.attempts + 1,
            "last_attempt_at": fields.Datetime.now(),
        }
        try:
            with self.env.cr.savepoint():
                partner, fa, outcome = self._apply(submission, mapping, settings)
        except SUBMISSION_ERRORS as exc:
            return self._record_failure(vals, exc)
        except psycopg2.OperationalError:
            raise  # concurrency: let Odoo retry the whole transaction
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch
            _logger.exception("ODK submission %s: unexpected error", instance_id)
            return self._record_failure(vals, exc)
        vals.update(
            state="done", error=False, partner_id=partner.id, payment_fa_id=fa.id
        )
        self._save(vals)
        if not self:
            return "created"
        return outcome

    def _record_failure(self, vals, exc):
        message = getattr(exc, "args", [None])[0] or str(exc)
        if not isinstance(exc, SUBMISSION_ERRORS):
            message = f"{type(exc).__name__}: {message}"
        vals.update(state="failed", error=str(message))
        self._save(vals)
        # The message may quote the rejected value: the log gets no details.
        _logger.warning(
            "ODK submission %s not imported (%s); see its import record",
            vals["instance_id"],
            type(exc).__name__,
        )
        return "failed"

    def _save(self, vals):
        if self:
            self.write(vals)
        else:
            self.create(vals)

    def _apply(self, submission, mapping, settings):
        """Create or update the registrant and, if it changed, its FA."""
        mapped = submission_mapping.map_submission(submission, mapping)
        partner = self.partner_id
        registrant_vals = dict(mapped.registrant, is_registrant=True)
        outcome = "unchanged"
        if partner:
            changed = {
                k: v for k, v in registrant_vals.items() if (partner[k] or False) != v
            }
            if changed:
                partner.write(changed)
                outcome = "updated"
        else:
            partner = self.env["res.partner"].create(registrant_vals)
        fa_vals = dict(mapped.fa, partner_id=partner.id)
        if mapped.bank:
            fa_vals["bank_id"] = self._find_bank(mapped.bank).id
        fa_model = self.env["g2p.payment.fa"].with_context(g2p_fa_channel="odk")
        prepared = fa_model._prepare_fa_vals(
            fa_model._add_missing_default_values(fa_vals), settings
        )
        current = partner.payment_fa_id
        if current and all(
            (current[f].id if f == "bank_id" else current[f] or False)
            == (prepared.get(f) or False)
            for f in FA_COMPARED
        ):
            return partner, current, outcome
        fa = fa_model.create(fa_vals)
        return partner, fa, "updated"

    @api.model
    def _find_bank(self, value):
        banks = self.env["res.bank"]
        bank = banks.search([("bic", "=ilike", value)], limit=1) or banks.search(
            [("name", "=ilike", value)], limit=1
        )
        if not bank:
            raise submission_mapping.MappingError(
                "bank", _("no bank with BIC or name %s is known", value)
            )
        return bank

    # ------------------------------------------------------------------
    # actions

    def action_retry(self):
        """Import the stored (possibly corrected) submission again."""
        settings = self.env["g2p.payment.fa"]._get_fa_settings()
        for record in self.sudo().with_context(g2p_fa_channel="odk"):
            try:
                submission = json.loads(record.raw_data or "")
            except ValueError as exc:
                raise UserError(
                    _("The submission data is not valid JSON: %s", exc)
                ) from exc
            if submission.get("__id") != record.instance_id:
                raise UserError(_("The submission data must keep its __id."))
            record._import_one(
                record.config_id,
                submission,
                record.config_id._mapping(),
                settings,
                force=True,
            )
        return True

    def action_refetch(self):
        """Fetch the submission from Central again (fixed there) and import it."""
        for record in self.sudo():
            record.config_id._import_instance(record.instance_id)
        return True
