# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses
import json
import logging

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import FA_VALUE_FIELDS

from ..lib import odk_client, retry_policy, submission_mapping

_logger = logging.getLogger(__name__)

ADMIN = "base.group_system"
MANAGER = "g2p_spar_fa_base.group_fa_manager"
# What a submission can fail on and still leave the others importing.
SUBMISSION_ERRORS = (submission_mapping.MappingError, ValidationError, UserError)


@dataclasses.dataclass
class SubmissionImport:
    """One submission's way through a page import.

    ``record`` is its import record (empty for a new submission), ``vals``
    that record's values for this attempt; the mapped registrant and FA
    values, the registrant created for it, the FA to create and the outcome
    (``created``, ``updated``, ``unchanged`` or ``failed``) are filled in as
    the page goes, so no list is linked to another by position.
    """

    record: models.BaseModel
    submission: dict
    outcome: str | None = None
    vals: dict | None = None
    registrant_vals: dict | None = None
    extra: dict | None = None
    fa_vals: dict | None = None
    prepared: dict | None = None
    partner: models.BaseModel | None = None
    new_fa_vals: dict | None = None

    def start(self, vals):
        """Begin an attempt with the import record's ``vals``, forgetting
        whatever an attempt rolled back had found."""
        self.vals = vals
        self.outcome = "created"
        self.registrant_vals = self.extra = self.fa_vals = self.prepared = None
        self.partner = self.new_fa_vals = None


class G2pOdkImportRecord(models.Model):
    """One ODK submission (by instanceID) and what became of it.

    It makes imports idempotent: a submission whose version (``updatedAt``,
    else ``submissionDate``) was processed already is skipped, an edited one
    updates the registrant it created. A failed submission keeps its error
    (payment destinations masked) and raw data here, without holding back the
    others; the import pass retries it from that data with the current
    configuration when it is due (``retry_at``), and an administrator can
    fix the data (here or in Central) and retry at once.
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
    retry_at = fields.Datetime(
        string="Next automatic retry",
        readonly=True,
        index="btree_not_null",
        help="A failed submission is imported again from its stored data "
        "by the first import pass after this time, with the configuration "
        "of that moment.",
    )

    _sql_constraints = [
        (
            "instance_unique",
            "UNIQUE (config_id, instance_id)",
            "A submission is imported once per configuration.",
        )
    ]

    @api.constrains("raw_data", "instance_id")
    def _check_raw_data(self):
        for record in self:
            record._stored_submission()

    def _stored_submission(self):
        """The stored submission; a correction that broke it is refused."""
        self.ensure_one()
        try:
            submission = json.loads(self.raw_data or "")
        except ValueError as exc:
            raise ValidationError(
                _("Submission (JSON): not valid JSON (%s).", exc)
            ) from exc
        if not isinstance(submission, dict) or (submission.get("__id") or "") != (
            self.instance_id or ""
        ):
            raise ValidationError(
                _(
                    "Submission (JSON): must be the submission's JSON object "
                    "and keep its __id %s.",
                    self.instance_id,
                )
            )
        return submission

    # ------------------------------------------------------------------
    # importing

    @api.model
    @change.on_channel(change.ODK)
    def _import_page(self, config, submissions, mapping, force=False):
        """Import a page of submissions together; return their outcomes.

        The page's registrants, FAs (with their outbox rows) and import
        records are each created in one go (see :meth:`_import_together`),
        instead of a savepoint and a dozen queries per submission. When the
        database still refuses something of the page (a constraint, a value
        PostgreSQL cannot store), the page is rolled back and imported again
        one submission per savepoint, which isolates the culprit and records
        it as failed.

        Every change is recorded as made through the ODK channel.
        """
        records = self.with_context(
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
        plans = [
            SubmissionImport(existing.get(s.get("__id"), records.browse()), s)
            for s in submissions
        ]
        todo = []
        for plan in plans:
            if plan.record._is_imported(plan.submission, force):
                plan.outcome = "unchanged"
            else:
                todo.append(plan)
        imported = False
        if len(todo) > 1:
            try:
                with self.env.cr.savepoint():
                    records._import_together(config, todo, mapping, settings)
                    imported = True
            except psycopg2.OperationalError:
                raise  # concurrency: let Odoo retry the whole transaction
            except Exception as exc:  # noqa: BLE001 - isolated one by one below
                # The submission's own savepoint logs and records the details.
                _logger.warning(
                    "ODK import %s: a page of %d submissions was refused (%s); "
                    "importing them one by one",
                    config.id,
                    len(todo),
                    type(exc).__name__,
                )
        if not imported:
            for plan in todo:
                records._import_one(config, plan, mapping, settings)
        return [plan.outcome for plan in plans]

    def _is_imported(self, submission, force=False):
        """Whether this version of the submission was processed already."""
        return bool(
            self
            and not force
            and not submission_mapping.version_is_newer(
                odk_client.submission_version(submission), self.odk_version
            )
        )

    @api.model
    def _import_one(self, config, plan, mapping, settings):
        """Import one submission in its own savepoint; set its outcome.

        Whatever goes wrong is rolled back and recorded on its import record.
        """
        try:
            with self.env.cr.savepoint():
                self._import_together(config, [plan], mapping, settings)
        except psycopg2.OperationalError:
            raise  # concurrency: let Odoo retry the whole transaction
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the batch
            if not isinstance(exc, SUBMISSION_ERRORS):
                _logger.exception(
                    "ODK submission %s: unexpected error", plan.submission.get("__id")
                )
            self._fail(config, plan, exc, mapping)
            self._save_all([plan])

    @api.model
    def _import_together(self, config, plans, mapping, settings):
        """Import the submissions of ``plans``, setting their outcomes.

        Everything that can refuse a submission on its own (mapping, bank,
        FA values) is checked first and writes nothing, so such a submission
        is recorded as failed without a savepoint of its own. The others are
        then written together: one create of the new registrants, one of the
        changed FAs (and so of their outbox rows), one of the new import
        records, one archive of the FAs a submission no longer gives (and so
        their unlink rows). The caller holds the savepoint.
        """
        fa_model = self.env["g2p.payment.fa"]
        banks = {}
        for plan in plans:
            plan.start(plan.record._attempt_vals(config, plan.submission))
            try:
                self._map(config, plan, mapping, settings, banks)
            except SUBMISSION_ERRORS as exc:
                self._fail(config, plan, exc, mapping)
        mapped = [plan for plan in plans if plan.outcome != "failed"]
        newcomers = [plan for plan in mapped if not plan.record.partner_id]
        partners = self.env["res.partner"].create(
            [plan.registrant_vals for plan in newcomers]
        )
        for plan, partner in zip(newcomers, partners, strict=True):
            plan.partner = partner
        removed = fa_model
        for plan in mapped:
            removed |= self._apply_registrant(plan)
        self._apply_extra(config, mapped)
        creating = [plan for plan in mapped if plan.new_fa_vals]
        fas = fa_model.create([plan.new_fa_vals for plan in creating])
        for plan, fa in zip(creating, fas, strict=True):
            plan.vals["payment_fa_id"] = fa.id
        fa_model.browse(removed.ids).action_remove()
        self._save_all(plans)

    @api.model
    def _apply_registrant(self, plan):
        """Write the registrant's changes of a mapped ``plan`` and decide
        what becomes of its FA; return the FA to remove (possibly none).

        A new FA is left in ``plan.new_fa_vals`` for the caller to create
        with the others of the page.
        """
        removed = self.env["g2p.payment.fa"]
        partner, current, changed = plan.record.partner_id, None, False
        if partner:
            current = partner.payment_fa_id
            registrant_changes = {
                k: v
                for k, v in plan.registrant_vals.items()
                if (partner[k] or False) != v
            }
            if registrant_changes:
                partner.write(registrant_changes)
                changed = True
        else:
            partner = plan.partner
        plan.vals.update(
            state="done", error=False, retry_at=False, partner_id=partner.id
        )
        if plan.fa_vals is None:
            # The submission gives no payment destination (any more).
            plan.vals["payment_fa_id"] = False
            if current:
                removed = current
                changed = True
        elif current and self._same_fa(current, plan.prepared):
            plan.vals["payment_fa_id"] = current.id
        else:
            plan.new_fa_vals = dict(plan.fa_vals, partner_id=partner.id)
            changed = True
        # A submission that failed before it had a registrant is created.
        if plan.record.partner_id:
            plan.outcome = "updated" if changed else "unchanged"
        return removed

    @api.model
    def _apply_extra(self, config, plans):
        """Hook: write what the extra targets of ``config`` mapped
        (``plan.extra``) for the registrants of ``plans``, created or updated
        by then, before their FAs are written."""

    @api.model
    def _registrant_vals(self, config, mapped):
        """The registrant's values of a mapped submission. Hook: an extension
        adds those of its extra targets; a value it cannot use raises
        :class:`submission_mapping.MappingError`."""
        return dict(mapped.registrant, is_registrant=True)

    @api.model
    def _map(self, config, plan, mapping, settings, banks):
        """Map the plan's submission and check its FA, writing nothing.

        Sets the registrant's values, the FA's values and the FA's values
        as the FA model normalises them (to compare with the current FA);
        both FA values are None when the submission gives no payment FA.
        ``banks`` caches the banks found by name or BIC.
        """
        mapped = submission_mapping.map_submission(
            plan.submission, mapping, config._extra_targets()
        )
        plan.registrant_vals = self._registrant_vals(config, mapped)
        plan.extra = mapped.extra
        if mapped.fa is None:
            return
        fa_vals = dict(mapped.fa)
        fa_model = self.env["g2p.payment.fa"]
        if mapped.bank:
            if mapped.bank not in banks:
                banks[mapped.bank] = self._find_bank(mapped.bank)
            fa_vals["bank_id"] = banks[mapped.bank].id
        elif fa_vals.get("bic"):
            # The FA model would look the BIC's bank up for each submission;
            # a page of them asks once per BIC.
            key = ("bic", fa_vals["bic"])
            if key not in banks:
                banks[key] = fa_model._bank_of_bic(fa_vals["bic"])
            if banks[key]:
                fa_vals["bank_id"] = banks[key].id
        plan.prepared = fa_model._normalise_fa_vals(
            fa_model._add_missing_default_values(fa_vals), settings
        )
        plan.fa_vals = fa_vals

    @api.model
    def _same_fa(self, fa, prepared):
        """Whether ``fa`` already holds the normalised FA values ``prepared``."""
        return all(
            (fa[f].id if f == "bank_id" else fa[f] or False)
            == (prepared.get(f) or False)
            for f in FA_VALUE_FIELDS
        )

    def _attempt_vals(self, config, submission):
        """The import record's values for this attempt at ``submission``."""
        return {
            "config_id": config.id,
            "instance_id": submission.get("__id") or "",
            "submission_date": (submission.get("__system") or {}).get("submissionDate"),
            "odk_version": odk_client.submission_version(submission),
            "raw_data": json.dumps(submission, indent=1, ensure_ascii=False),
            "attempts": self.attempts + 1,
            "last_attempt_at": fields.Datetime.now(),
        }

    @api.model
    def _fail(self, config, plan, exc, mapping):
        """Record ``exc`` as the outcome of this attempt at the plan's
        submission, with its payment destinations masked in the error.

        The record's values are those of a fresh attempt: what a rolled
        back attempt had set (a registrant, an FA) is gone.
        """
        vals = plan.record._attempt_vals(config, plan.submission)
        message = getattr(exc, "redacted", None) or str(exc)
        if not isinstance(exc, SUBMISSION_ERRORS):
            # A database error's DETAIL line quotes the row's values.
            message = f"{type(exc).__name__}: {message.splitlines()[0]}"
        # The message may quote the rejected value: the log gets no details.
        _logger.warning(
            "ODK submission %s not imported (%s); see its import record",
            vals["instance_id"],
            type(exc).__name__,
        )
        delay = retry_policy.retry_delay(vals["attempts"], config.interval_minutes)
        plan.vals = dict(
            vals,
            state="failed",
            error=submission_mapping.redact(message, plan.submission, mapping),
            retry_at=vals["last_attempt_at"] + delay,
        )
        plan.outcome = "failed"

    @api.model
    def _save_all(self, plans):
        """Write the import records of ``plans``, creating the new ones in
        one go."""
        for plan in plans:
            if plan.record:
                plan.record.write(plan.vals)
        self.create([plan.vals for plan in plans if not plan.record])

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

    def _retry(self):
        """Import the stored (possibly corrected) submissions again with the
        current configuration, as the cron imports a page: together, per
        configuration. Return the outcomes."""
        outcomes = []
        for config, records in self.sudo().grouped("config_id").items():
            config._lock()
            submissions = []
            for record in records:
                try:
                    submissions.append(record._stored_submission())
                except ValidationError as exc:
                    # Saved before corrections were checked: it stays failed
                    # (and backs off) instead of stopping the whole pass.
                    record._record_unusable_data(config, exc)
                    outcomes.append("failed")
            outcomes += records._import_page(
                config, submissions, config._mapping(), force=True
            )
        return outcomes

    def _record_unusable_data(self, config, exc):
        """Count a retry that could not even read the stored submission as a
        failed attempt, so that it backs off like any other."""
        now = fields.Datetime.now()
        attempts = self.attempts + 1
        self.write(
            {
                "error": str(exc),
                "attempts": attempts,
                "last_attempt_at": now,
                "retry_at": now
                + retry_policy.retry_delay(attempts, config.interval_minutes),
            }
        )

    def _check_admin(self):
        """The buttons are for administrators; RPC must not go around them
        (these methods import as superuser)."""
        if not self.env.user.has_group(ADMIN):
            raise AccessError(
                _("Only administrators can import ODK submissions again.")
            )

    def action_retry(self):
        self._check_admin()
        self._retry()
        return True

    def action_refetch(self):
        """Fetch the submissions from Central again (fixed there) and import
        them: one login per configuration."""
        self._check_admin()
        for config, records in self.sudo().grouped("config_id").items():
            config._import_instances(records.mapped("instance_id"))
        return True
