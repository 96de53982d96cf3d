# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import change
from ..lib import fa_format

MANAGER = "g2p_spar_fa_base.group_fa_manager"

# FA placeholder (see lib.fa_format.FA_PLACEHOLDERS) -> field holding its value.
PLACEHOLDER_FIELDS = {
    "account": "account_number",
    "iban": "iban",
    "bic": "bic",
    "bank_code": "bank_code",
    "branch_code": "branch_code",
    "msisdn": "payment_msisdn",
    "email": "payment_email",
    "provider": "provider_code",
}
# The values that make an FA what it is: two FAs equal on these are the same.
FA_VALUE_FIELDS = ("kind", "bank_id", "holder_name", *PLACEHOLDER_FIELDS.values())
IMMUTABLE_FIELDS = ("partner_id", *FA_VALUE_FIELDS)


class G2pPaymentFa(models.Model):
    """Payment financial address (FA) of a registrant.

    An FA is an immutable snapshot: changing it means creating a new record,
    which archives the registrant's previous one; removing it means archiving
    it. Archived FAs stay as history. This keeps every change visible as a
    create or an archive, which is what a synchronisation module hooks into.

    Extension points for such a module (all called in the same transaction):

    * :meth:`_on_fa_replaced` -- after :meth:`create`, with the FAs that
      were archived (possibly none) and the new current FAs, once per wave of
      a batch in which each registrant appears once;
    * :meth:`_on_fa_removed` -- after FAs were archived without a successor
      (:meth:`action_remove`, ``action_archive`` or ``write({"active": False})``).
    """

    _name = "g2p.payment.fa"
    _description = "Payment Financial Address"
    _rec_name = "fa_masked"
    _order = "partner_id, active desc, id desc"

    partner_id = fields.Many2one(
        "res.partner",
        string="Registrant",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("is_registrant", "=", True)],
    )
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [
            ("bank", "Bank Account"),
            ("mobile", "Mobile Wallet"),
            ("email", "E-mail Wallet"),
        ],
        required=True,
        default="bank",
    )
    account_number = fields.Char(groups=MANAGER)
    iban = fields.Char(string="IBAN", groups=MANAGER)
    bank_id = fields.Many2one("res.bank", ondelete="restrict")
    bic = fields.Char(
        string="BIC", help="Taken from the bank when left empty on creation."
    )
    bank_code = fields.Char()
    branch_code = fields.Char()
    holder_name = fields.Char(string="Account Holder")
    payment_msisdn = fields.Char(
        string="Payment Mobile Number",
        groups=MANAGER,
        help="Deliberately separate from the registrant's phone numbers: a "
        "contact number must never silently become a payment destination.",
    )
    payment_email = fields.Char(string="Payment E-mail", groups=MANAGER)
    provider_code = fields.Char(string="Wallet Provider")
    # Precomputed: written with the INSERT of a batch of FAs, not by an
    # UPDATE per FA afterwards.
    fa_string = fields.Char(
        string="Financial Address",
        compute="_compute_fa_strings",
        store=True,
        precompute=True,
        groups=MANAGER,
    )
    fa_masked = fields.Char(
        string="Financial Address (masked)",
        compute="_compute_fa_strings",
        store=True,
        precompute=True,
    )

    def init(self):
        # Last line of defence behind the archive step of create().
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS g2p_payment_fa_one_active_per_partner
            ON g2p_payment_fa (partner_id) WHERE active
            """
        )

    @api.model
    def _get_fa_settings(self):
        """Read the formatting settings, with the effective phone region."""
        params = self.env["ir.config_parameter"].sudo()
        settings = fa_format.FaSettings.from_params(params.get_param)
        region = settings.phone_region or self.env.company.country_id.code or ""
        return dataclasses.replace(settings, phone_region=region)

    @api.model
    def _fa_error(self, exc):
        """Turn a lib error into a ValidationError naming the field's label."""
        fname = PLACEHOLDER_FIELDS.get(exc.field, exc.field)
        label = self._fields[fname].string if fname in self._fields else fname
        return ValidationError(
            _("%(field)s: %(problem)s", field=label, problem=exc.message)
        )

    def _fa_values(self):
        self.ensure_one()
        return {
            placeholder: self[fname]
            for placeholder, fname in PLACEHOLDER_FIELDS.items()
        }

    @api.depends(*PLACEHOLDER_FIELDS.values(), "kind")
    def _compute_fa_strings(self):
        settings = self._get_fa_settings()
        for fa in self:
            try:
                values = fa._fa_values()
                fa.fa_string = fa_format.format_fa(settings, fa.kind, values)
                fa.fa_masked = fa_format.mask_fa(settings, fa.kind, values)
            except fa_format.FaValidationError:
                # Only reachable for unsaved drafts in a form; create() has
                # already rejected such values for stored records.
                fa.fa_string = fa.fa_masked = False

    @api.model
    def _prepare_fa_vals(self, vals, settings):
        """Validate and normalise the values of a new FA before anything is
        written, so that a rejected FA leaves the current one untouched."""
        partner = self.env["res.partner"].browse(vals.get("partner_id"))
        if not partner:
            raise ValidationError(_("Registrant: a registrant is required."))
        if not partner.is_registrant:
            raise ValidationError(
                _(
                    "Registrant: %(partner)s is not a registrant and cannot "
                    "hold a payment financial address.",
                    partner=partner.display_name,
                )
            )
        return self._normalise_fa_vals(vals, settings)

    @api.model
    def _normalise_fa_vals(self, vals, settings):
        """Validate and normalise the FA's own values, whoever holds it.

        Split from :meth:`_prepare_fa_vals` so that a bulk import can refuse
        a bad FA before it creates the registrant that would hold it.
        """
        vals = dict(vals)
        kind = vals.get("kind")
        if kind == "bank" and not vals.get("bic") and vals.get("bank_id"):
            vals["bic"] = self.env["res.bank"].browse(vals["bank_id"]).bic
        values = {
            placeholder: vals.get(fname)
            for placeholder, fname in PLACEHOLDER_FIELDS.items()
        }
        try:
            cleaned = fa_format.validate_fa(kind, values, settings.phone_region)
            fa_format.format_fa(settings, kind, cleaned)
        except fa_format.FaValidationError as exc:
            raise self._fa_error(exc) from exc
        for placeholder, fname in PLACEHOLDER_FIELDS.items():
            vals[fname] = cleaned.get(placeholder, False)
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        """Validate everything first, then replace FAs registrant by registrant.

        Batches go in waves where each registrant appears once, so an import
        of thousands of FAs costs a few queries per wave, not per FA, and a
        later FA of the same batch still replaces an earlier one.
        """
        settings = self._get_fa_settings()
        vals_list = [self._add_missing_default_values(vals) for vals in vals_list]
        # One query for the registrants the checks read, not one per FA.
        self.env["res.partner"].browse(
            {vals["partner_id"] for vals in vals_list if vals.get("partner_id")}
        ).fetch(["is_registrant"])
        prepared = [self._prepare_fa_vals(vals, settings) for vals in vals_list]
        created = [None] * len(prepared)
        for wave in self._waves_by_partner(prepared):
            partner_ids = [prepared[index]["partner_id"] for index in wave]
            # Ordered by id: the default order joins the registrants' names.
            previous = self.search([("partner_id", "in", partner_ids)], order="id")
            previous.with_context(g2p_fa_replacing=True).write({"active": False})
            previous.flush_recordset(["active"])
            new = super().create([prepared[index] for index in wave])
            self._on_fa_replaced(previous, new)
            for index, record in zip(wave, new, strict=True):
                created[index] = record.id
        return self.browse(created)

    @api.model
    @change.on_channel(change.IMPORT)
    def load(self, fields, data):
        """A data import (Odoo's import screen loads through here) is
        recorded on the import channel, whatever the caller's context says."""
        return super().load(fields, data)

    @api.model
    def _waves_by_partner(self, vals_list):
        """Indexes of ``vals_list`` grouped so that a wave never names one
        registrant twice; a registrant's n-th FA goes in the n-th wave."""
        waves, seen = [], {}
        for index, vals in enumerate(vals_list):
            wave = seen.get(vals["partner_id"], 0)
            seen[vals["partner_id"]] = wave + 1
            if wave == len(waves):
                waves.append([])
            waves[wave].append(index)
        return waves

    def write(self, vals):
        frozen = [fname for fname in IMMUTABLE_FIELDS if fname in vals]
        if frozen:
            raise UserError(
                _(
                    "A payment financial address cannot be edited (%(fields)s). "
                    "Record a new financial address for the registrant instead; "
                    "the current one is archived automatically.",
                    fields=", ".join(self._fields[f].string for f in frozen),
                )
            )
        removed = self.browse()
        if "active" in vals:
            if vals["active"]:
                if self.filtered(lambda fa: not fa.active):
                    raise UserError(
                        _(
                            "An archived payment financial address cannot be "
                            "restored. Record a new one with the same values."
                        )
                    )
            elif not self.env.context.get("g2p_fa_replacing"):
                removed = self.filtered("active")
        res = super().write(vals)
        if removed:
            removed._on_fa_removed()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_active(self):
        if self.filtered("active"):
            raise UserError(
                _(
                    "Remove (archive) a current payment financial address "
                    "instead of deleting it, so that its history is kept."
                )
            )

    def action_remove(self):
        """Leave the registrant without a payment FA; the FA is kept archived."""
        self.filtered("active").write({"active": False})
        return True

    @api.model
    def _on_fa_replaced(self, old, new):
        """Hook: ``new`` are now their registrants' current FAs.

        ``old`` are the FAs archived for them (empty for a registrant's first
        FA); each registrant appears at most once in ``new``. Override to
        react to every FA change.
        """

    def _on_fa_removed(self):
        """Hook: ``self`` was archived and the registrant has no FA any more."""
