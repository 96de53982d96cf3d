# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging
from collections import Counter
from datetime import timedelta

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every
from odoo.tools.sql import column_exists

from ..lib import odk_client, submission_mapping

_logger = logging.getLogger(__name__)

ADMIN = "base.group_system"


class G2pOdkImportConfig(models.Model):
    """Where and how to import registrations from one ODK Central form.

    The watermark is the greatest ``submissionDate``/``updatedAt`` of the
    submissions a complete pass actually processed (imported or recorded as
    failed), never the clock of this server: a submission that arrives while
    a pass runs keeps a later timestamp and is found by the next pass. It
    only moves when a pass went through every page, so a pass cut short
    (Central unreachable, worker killed) is simply done again; the import
    records make that harmless.

    The watermark moves past a submission that failed; its import record
    keeps it instead. Each pass also retries the failed submissions that are
    due (see ``lib/retry_policy.py``) from their stored data with the current
    configuration, and a change of the field mapping makes them all due.
    """

    _name = "g2p.odk.import.config"
    _description = "ODK Central Import Configuration"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    central_url = fields.Char(
        string="ODK Central URL",
        required=True,
        help="Base address of ODK Central, e.g. https://central.example.org",
    )
    project_id = fields.Integer(string="Project ID", required=True)
    form_id = fields.Char(string="Form ID", required=True, help="The xmlFormId.")
    username = fields.Char(string="Account e-mail", required=True)
    password = fields.Char(
        compute="_compute_password",
        inverse="_inverse_password",
        groups=ADMIN,
        copy=False,
        help="Write-only: stored encrypted with the key of the server "
        "configuration, never shown again, never logged.",
    )
    # What is stored: ciphertext only (see g2p.secret.box), for the import
    # to log in with; a dump or backup of the database does not reveal it.
    password_encrypted = fields.Char(groups=ADMIN, copy=False, readonly=True)
    has_password = fields.Boolean(
        string="Password stored", compute="_compute_has_password"
    )
    field_mapping = fields.Text(
        required=True,
        default=lambda self: json.dumps(submission_mapping.DEFAULT_MAPPING, indent=2),
        help="JSON object: target -> form field path ('group/field'). Targets: "
        + ", ".join(submission_mapping.TARGETS)
        + ". 'phone' is the contact phone and never becomes a payment number.",
    )
    interval_minutes = fields.Integer(string="Poll every (minutes)", default=60)
    page_size = fields.Integer(default=100)
    overlap_seconds = fields.Integer(
        default=60,
        help="Each poll asks again for what changed this long before the "
        "watermark, to catch submissions Central committed late; what was "
        "already imported is recognised and skipped.",
    )
    watermark = fields.Char(
        readonly=True,
        copy=False,
        help="Greatest submission or edit time processed, exactly as ODK "
        "Central wrote it (ISO-8601, UTC).",
    )
    last_run_at = fields.Datetime(readonly=True, copy=False)
    next_run_at = fields.Datetime(copy=False)
    last_run_summary = fields.Char(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    record_ids = fields.One2many("g2p.odk.import.record", "config_id")
    failed_count = fields.Integer(compute="_compute_counts")
    imported_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("page_size_positive", "CHECK (page_size > 0)", "Page size must be positive."),
        (
            "overlap_not_negative",
            "CHECK (overlap_seconds >= 0)",
            "The overlap cannot be negative.",
        ),
    ]

    def _compute_password(self):
        self.password = False

    def _inverse_password(self):
        box = self.env["g2p.secret.box"]
        for config in self:
            config.password_encrypted = config.password and box._seal(config.password)

    def _compute_has_password(self):
        for config in self:
            config.has_password = bool(config.sudo().password_encrypted)

    @api.model
    def _seal_clear_passwords(self):
        """Upgrade from 17.0.1.0.0, which kept the password in clear in the
        column ``password``: seal each one, then drop the column."""
        cr = self.env.cr
        if not column_exists(cr, self._table, "password"):
            return
        cr.execute(
            SQL(
                "SELECT id, password FROM %s WHERE password IS NOT NULL "
                "AND password != ''",
                SQL.identifier(self._table),
            )
        )
        box = self.env["g2p.secret.box"]
        for config_id, password in cr.fetchall():
            self.browse(config_id).sudo().password_encrypted = box._seal(password)
        self.env.flush_all()
        cr.execute(
            SQL("ALTER TABLE %s DROP COLUMN password", SQL.identifier(self._table))
        )

    def _compute_counts(self):
        groups = self.env["g2p.odk.import.record"]._read_group(
            [("config_id", "in", self.ids)], ["config_id", "state"], ["__count"]
        )
        counts = {(config.id, state): n for config, state, n in groups}
        for config in self:
            config.failed_count = counts.get((config.id, "failed"), 0)
            config.imported_count = counts.get((config.id, "done"), 0)

    @api.constrains("field_mapping")
    def _check_field_mapping(self):
        for config in self:
            try:
                submission_mapping.check_mapping(
                    config._mapping(), config._extra_targets()
                )
            except submission_mapping.MappingError as exc:
                raise ValidationError(_("Field mapping: %s", exc)) from exc

    def write(self, vals):
        res = super().write(vals)
        if "field_mapping" in vals:
            # A corrected mapping may import what failed: at the next pass.
            self.env["g2p.odk.import.record"].sudo().search(
                [("config_id", "in", self.ids), ("state", "=", "failed")]
            ).write({"retry_at": fields.Datetime.now()})
        return res

    def _extra_targets(self):
        """Hook: mapping targets an extension imports (see
        ``g2p.odk.import.record._registrant_vals`` and ``_apply_extra``)."""
        return ()

    def _mapping(self):
        self.ensure_one()
        try:
            return json.loads(self.field_mapping or "{}")
        except ValueError as exc:
            raise ValidationError(_("Field mapping: not valid JSON (%s)", exc)) from exc

    def _client(self):
        self.ensure_one()
        config = self.sudo()
        password = ""
        if config.password_encrypted:
            password = self.env["g2p.secret.box"]._open(config.password_encrypted)
            password = password.decode("utf-8")
        try:
            return odk_client.OdkCentralClient(
                config.central_url, config.username, password
            )
        except odk_client.OdkError as exc:
            raise UserError(str(exc)) from exc

    # ------------------------------------------------------------------
    # polling

    def _lock(self):
        """One pass per configuration at a time (cron and button alike)."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM g2p_odk_import_config WHERE id = %s "
                    "FOR UPDATE NOWAIT",
                    (self.id,),
                )
        except psycopg2.errors.LockNotAvailable as exc:
            raise UserError(
                _("An import of %s is already running.", self.display_name)
            ) from exc

    def _since(self):
        if not self.watermark:
            return None
        since = odk_client.parse_timestamp(self.watermark)
        return since - timedelta(seconds=self.overlap_seconds or 0)

    def _run_import(self, raise_errors=True):
        """One pass over everything created or changed since the watermark.

        When Central refuses the account or cannot be reached, raises a
        :class:`UserError` (a button) or, with ``raise_errors=False`` (the
        cron), records the error and keeps what the pass processed before.
        """
        self.ensure_one()
        self._lock()
        client = self._client()
        mapping = self._mapping()
        records = self.env["g2p.odk.import.record"].sudo()
        stats = Counter()
        latest = self.watermark
        counts = []
        error = None
        try:
            for page in client.iter_pages(
                self.project_id, self.form_id, self._since(), self.page_size
            ):
                if page.count is not None:
                    counts.append(page.count)
                stats.update(records._import_page(self, page.submissions, mapping))
                latest = odk_client.latest_timestamp(page.submissions, latest)
        except odk_client.OdkError as exc:
            error = exc
        # After the feed, so that a newer version from Central goes first;
        # from stored data, so Central being down does not hold them back.
        stats.update(self._retry_due())
        if error:
            self._record_run(stats, str(error))
            if raise_errors:
                raise UserError(
                    _(
                        "ODK import %(name)s stopped: %(error)s",
                        name=self.name,
                        error=error,
                    )
                ) from error
            return stats
        vals = {}
        # A count that dropped between pages means a row was deleted in
        # Central during the pass, which shifts the $skip paging and may have
        # skipped a row: keep the watermark, the next pass does it again.
        # New or edited rows only add rows and make nothing skipped.
        if counts == sorted(counts):
            vals["watermark"] = latest
        self._record_run(stats, False, **vals)
        return stats

    def _retry_due(self):
        """Retry the failed submissions whose ``retry_at`` has come, a page
        at a time; return their outcomes (``created on retry``...)."""
        due = (
            self.env["g2p.odk.import.record"]
            .sudo()
            .search(
                [
                    ("config_id", "=", self.id),
                    ("state", "=", "failed"),
                    ("retry_at", "<=", fields.Datetime.now()),
                ],
                order="retry_at, id",
            )
        )
        stats = Counter()
        for ids in split_every(self.page_size, due.ids):
            stats.update(f"{o} on retry" for o in due.browse(ids)._retry())
        return stats

    def _record_run(self, stats, error, **vals):
        now = fields.Datetime.now()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(stats.items())) or _(
            "nothing new"
        )
        self.write(
            {
                "last_run_at": now,
                "next_run_at": now + timedelta(minutes=max(self.interval_minutes, 1)),
                "last_run_summary": summary,
                "last_error": error,
                **vals,
            }
        )
        # Counts and instance IDs only: never form values.
        _logger.info("ODK import %s (id %s): %s", self.name, self.id, summary)
        if error:
            _logger.warning(
                "ODK import %s (id %s) stopped: %s", self.name, self.id, error
            )

    def _import_instance(self, instance_id):
        return self._import_instances([instance_id])

    def _import_instances(self, instance_ids):
        """Fetch submissions by instanceID and import them together, even
        when the same version was imported before (a retry after fixing the
        form or the mapping)."""
        self.ensure_one()
        instance_ids = [(instance_id or "").strip() for instance_id in instance_ids]
        if not all(instance_ids):
            raise UserError(_("Give the instance ID (uuid:...)."))
        client = self._client()
        submissions = []
        for instance_id in instance_ids:
            try:
                submissions.append(
                    client.submission(self.project_id, self.form_id, instance_id)
                )
            except odk_client.OdkError as exc:
                raise UserError(
                    _("ODK Central: %(error)s (%(id)s)", error=exc, id=instance_id)
                ) from exc
        records = self.env["g2p.odk.import.record"].sudo()
        records._import_page(self, submissions, self._mapping(), force=True)
        return records.search(
            [("config_id", "=", self.id), ("instance_id", "in", instance_ids)]
        )

    # ------------------------------------------------------------------
    # actions

    def action_import_now(self):
        for config in self:
            config._run_import()
        return True

    def action_open_instance_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Import one submission"),
            "res_model": "g2p.odk.import.instance",
            "view_mode": "form",
            "target": "new",
            "context": {"default_config_id": self.id},
        }

    def action_retry_failed(self):
        """Retry every failed submission now, due or not."""
        records = self.env["g2p.odk.import.record"]
        records._check_admin()
        records.sudo().search(
            [("config_id", "in", self.ids), ("state", "=", "failed")]
        )._retry()
        return True

    def action_view_failed(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Failed ODK submissions"),
            "res_model": "g2p.odk.import.record",
            "view_mode": "tree,form",
            "domain": [("config_id", "=", self.id), ("state", "=", "failed")],
        }

    def action_test_connection(self):
        self.ensure_one()
        try:
            self._client().login()
        except odk_client.OdkError as exc:
            raise UserError(str(exc)) from exc
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": _("ODK Central accepted the account."),
                "type": "success",
            },
        }

    @api.model
    def _cron_import_all(self):
        """Poll every due configuration; one failing does not stop the others."""
        now = fields.Datetime.now()
        due = self.search(
            ["|", ("next_run_at", "=", False), ("next_run_at", "<=", now)]
        )
        for config in due:
            try:
                with self.env.cr.savepoint():
                    config._run_import(raise_errors=False)
            except Exception as exc:
                # A bug or a bad configuration: that pass is rolled back, the
                # other configurations still run and the error stays visible.
                _logger.exception(
                    "ODK import %s (id %s) failed", config.name, config.id
                )
                config.write(
                    {
                        "last_error": f"{type(exc).__name__}: {exc}",
                        "last_run_at": now,
                        "next_run_at": now
                        + timedelta(minutes=max(config.interval_minutes, 1)),
                    }
                )
