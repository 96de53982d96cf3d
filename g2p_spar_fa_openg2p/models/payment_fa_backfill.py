# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import collections
import dataclasses
import json

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.g2p_spar_fa_base.exceptions import FaInputError
from odoo.addons.g2p_spar_fa_base.lib import fa_format
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import FA_VALUE_FIELDS, field_of

from ..lib import bank_account_fa as bank_fa

ADMIN = "g2p_spar_fa_base.group_fa_admin"
SKIP_EQUAL = "already has this payment FA"
SKIP_OTHER = "has another payment FA (kept)"


@dataclasses.dataclass
class BackfillPlan:
    """What a backfill would do to a set of registrants: the FAs to create,
    and how many registrants it leaves alone or cannot use, by reason."""

    creating: list = dataclasses.field(default_factory=list)
    skipped: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )
    invalid: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )


def summary(counter):
    """The reasons of a counter, most frequent first, one per line."""
    return "\n".join(f"{count} × {reason}" for reason, count in counter.most_common())


class G2pPaymentFaBackfill(models.Model):
    """A run turning OpenG2P's bank accounts (or phone numbers) into payment
    FAs, in chunks each done by a queue job.

    Safe to run again: a registrant whose FA already holds the values is
    skipped, so a second run creates nothing and sends nothing to SPAR. A
    registrant with another FA keeps it unless the run replaces FAs.
    """

    _name = "g2p.payment.fa.backfill"
    _description = "Payment FA Backfill"
    _order = "id desc"

    name = fields.Char(required=True, default=lambda s: fields.Datetime.now())
    source = fields.Selection(list(bank_fa.SOURCES), required=True, readonly=True)
    replace_other = fields.Boolean(
        string="Replace other FAs",
        readonly=True,
        help="Registrants whose payment FA differs get the one of their "
        "bank account (or phone number) instead.",
    )
    registrant_count = fields.Integer(string="Registrants", readonly=True)
    chunk_ids = fields.One2many(
        "g2p.payment.fa.backfill.chunk", "backfill_id", readonly=True
    )
    state = fields.Selection(
        [("running", "Running"), ("done", "Done")], compute="_compute_progress"
    )
    progress = fields.Float(compute="_compute_progress", help="Percent done.")
    processed_count = fields.Integer(string="Processed", compute="_compute_progress")
    created_count = fields.Integer(string="FAs created", compute="_compute_progress")
    skipped_count = fields.Integer(string="Skipped", compute="_compute_progress")
    invalid_count = fields.Integer(string="Invalid", compute="_compute_progress")
    skipped_summary = fields.Text(compute="_compute_progress")
    invalid_summary = fields.Text(
        string="Invalid, by reason", compute="_compute_progress"
    )

    @api.depends("chunk_ids.state")
    def _compute_progress(self):
        for run in self:
            done = run.chunk_ids.filtered(lambda c: c.state == "done")
            skipped, invalid = collections.Counter(), collections.Counter()
            for chunk in done:
                skipped.update(json.loads(chunk.skipped_reasons or "{}"))
                invalid.update(json.loads(chunk.invalid_reasons or "{}"))
            run.processed_count = sum(done.mapped("size"))
            run.created_count = sum(done.mapped("created_count"))
            run.skipped_count = sum(skipped.values())
            run.invalid_count = sum(invalid.values())
            run.skipped_summary = summary(skipped)
            run.invalid_summary = summary(invalid)
            run.progress = (
                100.0 * run.processed_count / run.registrant_count
                if run.registrant_count
                else 100.0
            )
            run.state = "done" if len(done) == len(run.chunk_ids) else "running"

    # ------------------------------------------------------------------
    # planning, shared by the preview and the chunks

    @api.model
    def _registrant_domain(self, source):
        """Registrants a backfill from ``source`` looks at. Groups are paid
        through their head and get no FA of their own."""
        has = {
            bank_fa.SOURCE_BANK: [("bank_ids", "!=", False)],
            bank_fa.SOURCE_PHONE: [("phone_number_ids", "!=", False)],
            bank_fa.SOURCE_BANK_THEN_PHONE: [
                "|",
                ("bank_ids", "!=", False),
                ("phone_number_ids", "!=", False),
            ],
        }[source]
        return [("is_registrant", "=", True), ("is_group", "=", False), *has]

    @api.model
    def _candidate(self, partner, source):
        """The FA values ``source`` gives ``partner`` (not validated), or None.

        Odoo fills an account's holder name with the registrant's name; as
        Odoo means it, only a different name says something, so only that
        one becomes the FA's holder.
        """
        accounts = [
            bank_fa.BankAccount(
                id=account.id,
                acc_number=account.acc_number,
                sequence=account.sequence,
                bank_id=account.bank_id.id or None,
                bank_bic=account.bank_id.bic or None,
                bank_country_code=account.bank_id.country.code or None,
                holder_name=(
                    account.acc_holder_name
                    if account.acc_holder_name != partner.name
                    else None
                ),
            )
            for account in partner.bank_ids
        ]
        phones = []
        if source != bank_fa.SOURCE_BANK:
            phones = [
                bank_fa.PhoneNumber(
                    id=phone.id,
                    number=phone.phone_sanitized or phone.phone_no,
                    disabled=bool(phone.disabled),
                )
                for phone in partner.phone_number_ids
            ]
        return bank_fa.candidate_values(source, accounts, phones)

    @api.model
    def _prepared(self, vals, settings):
        """``vals`` as the FA model validates and normalises them (``vals``
        name their kind: no defaults to look up)."""
        return self.env["g2p.payment.fa"]._normalise_fa_vals(vals, settings)

    @api.model
    def _holds(self, fa, vals, settings):
        """Whether ``fa`` already holds the FA values ``vals``."""
        try:
            prepared = self._prepared(vals, settings)
        except FaInputError:
            return False
        return self._same_values(fa, prepared)

    @api.model
    def _same_values(self, fa, prepared):
        """Whether ``fa`` holds the normalised FA values ``prepared``."""
        fa = fa.sudo()
        return all(
            ((fa[fname].id if fname == "bank_id" else fa[fname]) or False)
            == (prepared.get(fname) or False)
            for fname in FA_VALUE_FIELDS
        )

    @api.model
    def _invalid_reason(self, exc):
        """Why the FA model refused values, without the values."""
        cause = exc.__cause__
        if not isinstance(cause, fa_format.FaValidationError):
            return exc.redacted
        fname = field_of(cause.field)
        field = self.env["g2p.payment.fa"]._fields.get(fname)
        return bank_fa.reason_of(
            field.string if field else fname, cause.redacted_message
        )

    @api.model
    def _plan(self, partners, source, replace_other):
        """What a backfill from ``source`` does to ``partners``."""
        settings = self.env["g2p.payment.fa"]._get_fa_settings()
        plan = BackfillPlan()
        for partner in partners.sudo():
            vals = self._candidate(partner, source)
            if vals is None:
                plan.skipped[bank_fa.NO_SOURCE_REASON[source]] += 1
                continue
            try:
                prepared = self._prepared(vals, settings)
            except FaInputError as exc:
                plan.invalid[self._invalid_reason(exc)] += 1
                continue
            current = partner.payment_fa_id
            if current and self._same_values(current, prepared):
                plan.skipped[SKIP_EQUAL] += 1
            elif current and not replace_other:
                plan.skipped[SKIP_OTHER] += 1
            else:
                plan.creating.append(dict(vals, partner_id=partner.id))
        return plan

    # ------------------------------------------------------------------
    # running

    @api.model
    def _check_admin(self):
        """A backfill writes FAs of every registrant: FA administrators only,
        whatever RPC a lesser user tries."""
        if not self.env.user.has_group(ADMIN):
            raise AccessError(_("Only payment FA administrators can run a backfill."))

    @api.model
    def _start(self, source, replace_other=False, chunk_size=1000):
        """Create a run over every registrant ``source`` can give an FA and
        queue one job per chunk of ``chunk_size`` registrants."""
        self._check_admin()
        if chunk_size < 1:
            raise UserError(_("Chunk size: must be at least 1."))
        if self.env["g2p.payment.fa.backfill.chunk"].search_count(
            [("state", "=", "pending")], limit=1
        ):
            raise UserError(
                _(
                    "A backfill is still running; start another one once it "
                    "is done (two at once would give registrants two FAs)."
                )
            )
        partner_ids = (
            self.env["res.partner"]
            .sudo()
            .search(self._registrant_domain(source), order="id")
            .ids
        )
        run = self.sudo().create(
            {
                "source": source,
                "replace_other": replace_other,
                "registrant_count": len(partner_ids),
            }
        )
        chunks = (
            self.env["g2p.payment.fa.backfill.chunk"]
            .sudo()
            .create(
                [
                    {
                        "backfill_id": run.id,
                        "partner_ids_json": json.dumps(
                            partner_ids[start : start + chunk_size]
                        ),
                        "size": len(partner_ids[start : start + chunk_size]),
                    }
                    for start in range(0, len(partner_ids), chunk_size)
                ]
            )
        )
        for chunk in chunks:
            chunk.with_delay(
                description=_(
                    "Payment FA backfill %(run)s, chunk %(chunk)s",
                    run=run.id,
                    chunk=chunk.id,
                )
            )._run()
        return run
