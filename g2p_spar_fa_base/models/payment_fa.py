# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import dataclasses

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import change
from ..exceptions import FaInputError, safe_message
from ..lib import fa_format
from ..lib.fa_vocabulary import (
    FA_VALUE_FIELDS,
    KIND_BANK,
    KIND_LABELS,
    PLACEHOLDER_FIELDS,
    field_of,
)
from ..lib.masking import mask

MANAGER = "g2p_spar_fa_base.group_fa_manager"

# The FA strings (and the SPAR strategy they follow) are derived from the
# values once, at creation: SPAR gets what was validated, whatever the formats
# say later. The branch and wallet provider records are looked up from the
# codes a channel gives, or give the codes.
DERIVED_FIELDS = (
    "fa_string",
    "fa_masked",
    "spar_strategy_id",
    "branch_id",
    "wallet_provider_id",
    "provider_name",
)
IMMUTABLE_FIELDS = ("partner_id", *FA_VALUE_FIELDS, *DERIVED_FIELDS)
# Set on the cursor while create() archives the FAs it replaces, which are
# no removals. Not in env.context: an RPC caller sets any context key, and
# could archive an FA without its removal reaching SPAR.
_REPLACING_KEY = "g2p_spar_fa_base.replacing"


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
    kind = fields.Selection(list(KIND_LABELS), required=True, default=KIND_BANK)
    account_number = fields.Char(groups=MANAGER)
    iban = fields.Char(string="IBAN", groups=MANAGER)
    bank_id = fields.Many2one("res.bank", ondelete="restrict")
    bic = fields.Char(
        string="BIC", help="Taken from the bank when left empty on creation."
    )
    bank_code = fields.Char(
        help="Taken from the IBAN, else from the bank, when left empty on creation."
    )
    branch_id = fields.Many2one(
        "g2p.bank.branch",
        ondelete="restrict",
        domain="[('bank_id', '=', bank_id)]",
    )
    branch_code = fields.Char(
        help="Taken from the IBAN, else from the branch, when left empty on creation."
    )
    holder_name = fields.Char(string="Account Holder")
    payment_msisdn = fields.Char(
        string="Payment Mobile Number",
        groups=MANAGER,
        help="Deliberately separate from the registrant's phone numbers: a "
        "contact number must never silently become a payment destination.",
    )
    payment_email = fields.Char(string="Payment E-mail", groups=MANAGER)
    wallet_provider_id = fields.Many2one(
        "g2p.wallet.provider",
        ondelete="restrict",
        domain="[('kind', '=', kind)]",
    )
    provider_code = fields.Char(
        string="Wallet Provider Code",
        help="Picks the wallet provider with this code when none is chosen.",
    )
    provider_name = fields.Char(string="Wallet Provider Name", readonly=True)
    # Set by create() from the validated values, never computed: a compute
    # could be re-triggered (by a changed format, a new dependency) and
    # rewrite what SPAR was sent, and a precomputed field takes any value
    # a caller passes to create().
    fa_string = fields.Char(string="Financial Address", readonly=True, groups=MANAGER)
    fa_masked = fields.Char(string="Financial Address (masked)", readonly=True)
    spar_strategy_id = fields.Integer(
        string="SPAR Strategy",
        readonly=True,
        help="SPAR's id of the strategy (format) the address was built with, "
        "sent to SPAR in additional_info; 0 when the settings name none.",
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
    def _fa_error(self, exc, label=None):
        """Turn a lib error into a ValidationError naming the field's label.

        The user sees the value they typed; logs and stored errors get the
        ``redacted`` text (see :mod:`..exceptions`).
        """
        if label is None:
            fname = field_of(exc.field)
            label = self._fields[fname].string if fname in self._fields else fname
        return FaInputError(
            _("%(field)s: %(problem)s", field=label, problem=exc.message),
            _("%(field)s: %(problem)s", field=label, problem=exc.redacted_message),
        )

    @api.model
    def _check_kept_value(self, record, fname, check):
        """Refuse a value administrators keep for FAs to copy (a bank's,
        branch's or wallet provider's code or name) that ``check`` (a
        fa_format function) finds no FA could hold, when it is typed rather
        than when an FA is recorded."""
        try:
            check(record[fname])
        except fa_format.FaValidationError as exc:
            raise self._fa_error(exc, record._fields[fname].string) from exc

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
        if not partner.active:
            # SPAR holds nothing for an archived registrant; an FA would
            # link them again.
            raise ValidationError(
                _(
                    "Registrant: %(partner)s is archived and cannot hold a "
                    "payment financial address.",
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
        vals = self._fill_from_records(dict(vals))
        kind = vals.get("kind")
        values = {
            placeholder: vals.get(fname)
            for placeholder, fname in PLACEHOLDER_FIELDS.items()
        }
        try:
            cleaned = fa_format.validate_fa(kind, values, settings.phone_region)
            if vals.get("holder_name"):
                vals["holder_name"] = fa_format.normalize_holder_name(
                    vals["holder_name"]
                )
            vals["fa_string"] = fa_format.format_fa(settings, kind, cleaned)
        except fa_format.FaValidationError as exc:
            raise self._fa_error(exc) from exc
        vals["fa_masked"] = mask(vals["fa_string"])
        vals["spar_strategy_id"] = settings.strategy_id(kind) or 0
        for placeholder, fname in PLACEHOLDER_FIELDS.items():
            vals[fname] = cleaned.get(placeholder, False)
        if kind == KIND_BANK and not vals.get("branch_id") and vals.get("bank_id"):
            vals["branch_id"] = self._branch_of(vals["bank_id"], vals["branch_code"])
        return vals

    @api.model
    def _bank_of_bic(self, bic):
        """The one bank of the list with this BIC (an 8-character BIC and its
        11-character ``XXX`` form are the same bank); none when unknown or
        ambiguous."""
        bic = (bic or "").strip().upper()
        same = {bic, bic[:8]} if bic.endswith("XXX") else {bic, bic + "XXX"}
        banks = self.env["res.bank"].search([("bic", "in", sorted(same))], limit=2)
        return banks if len(banks) == 1 else banks.browse()

    @api.model
    def _fill_from_records(self, vals):
        """The codes and names an FA takes from the records it names: a
        bank's BIC and code, a branch's code (and bank), a wallet provider's
        code and name. A record and a typed code that disagree are refused:
        one of the two is a mistake, and a payment would follow the string.
        A wallet provider given by its code alone is looked up."""
        kind = vals.get("kind")
        if kind == KIND_BANK:
            branch = self.env["g2p.bank.branch"].browse(vals.get("branch_id"))
            if branch:
                if vals.get("bank_id") not in (None, False, branch.bank_id.id):
                    raise ValidationError(
                        _(
                            "Branch: %(branch)s is a branch of %(bank)s, not of "
                            "the bank chosen.",
                            branch=branch.display_name,
                            bank=branch.bank_id.name,
                        )
                    )
                vals["bank_id"] = branch.bank_id.id
                self._check_same(vals, "branch_code", branch.code)
            bank = self.env["res.bank"].browse(vals.get("bank_id"))
            if not bank and vals.get("bic"):
                # A BIC alone (ODK, the JSON API) names its bank when the
                # bank list holds it: the bank's code is what the OpenG2P
                # strategy format needs.
                bank = self._bank_of_bic(vals["bic"])
                if bank:
                    vals["bank_id"] = bank.id
            if bank and not vals.get("bic"):
                vals["bic"] = bank.bic
            if bank.bank_code and not vals.get("bank_code") and not vals.get("iban"):
                vals["bank_code"] = bank.bank_code
            return vals
        providers = self.env["g2p.wallet.provider"]
        provider = providers.browse(vals.get("wallet_provider_id"))
        code = vals.get("provider_code")
        if not provider and code:
            try:
                code = fa_format.normalize_code("provider", code)
            except fa_format.FaValidationError:
                code = None  # refused, by field, with the other values
            provider = code and providers.search(
                [("kind", "=", kind), ("code", "=", code)], limit=1
            )
        vals["provider_name"] = False
        if provider:
            if provider.kind != kind:
                raise ValidationError(
                    _(
                        "Wallet Provider: %(provider)s is not a provider of "
                        "this kind of wallet.",
                        provider=provider.display_name,
                    )
                )
            self._check_same(vals, "provider_code", provider.code)
            vals["wallet_provider_id"] = provider.id
            vals["provider_name"] = provider.name
        return vals

    @api.model
    def _check_same(self, vals, fname, value):
        """Fill ``fname`` with ``value`` (taken from a record the FA names),
        refusing a different value typed beside it."""
        given = vals.get(fname)
        if given and not isinstance(given, str):
            return  # refused as "must be text" by the validation
        given = (given or "").strip()
        if given and value and given != value:
            raise ValidationError(
                _(
                    "%(field)s: %(given)r differs from %(value)r, the code of "
                    "the one chosen; leave it empty to use that.",
                    field=self._fields[fname].string,
                    given=given,
                    value=value,
                )
            )
        vals[fname] = given or value

    @api.model
    def _branch_of(self, bank_id, branch_code):
        """The branch of the bank with this code, for an FA that gave only
        the code (or an IBAN that names it)."""
        if not branch_code:
            return False
        return (
            self.env["g2p.bank.branch"]
            .search([("bank_id", "=", bank_id), ("code", "=", branch_code)], limit=1)
            .id
        )

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
        ).fetch(["is_registrant", "active"])
        prepared = [self._prepare_fa_vals(vals, settings) for vals in vals_list]
        created = [None] * len(prepared)
        for wave in self._waves_by_partner(prepared):
            partner_ids = [prepared[index]["partner_id"] for index in wave]
            # Ordered by id: the default order joins the registrants' names.
            previous = self.search([("partner_id", "in", partner_ids)], order="id")
            self.env.cr.cache[_REPLACING_KEY] = True
            try:
                previous.write({"active": False})
                previous.flush_recordset(["active"])
            finally:
                self.env.cr.cache.pop(_REPLACING_KEY, None)
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
    def _reformat(self, partner_ids):
        """Record the current FA of each of these registrants again when the
        current format settings build another string (or SPAR strategy) from
        its values; FAs are immutable, so the history shows the change.

        Returns ``(recorded, unchanged, refused)``: the new FAs, the number
        of FAs already in the format, and ``{registrant id: redacted
        error}`` for FAs the format cannot take (a bank without a bank code
        for OpenG2P strategies...), which are left as they are.
        """
        settings = self._get_fa_settings()
        current = self.sudo().search(
            [("partner_id", "in", list(partner_ids)), ("active", "=", True)],
            order="id",
        )
        vals_list, unchanged, refused = [], 0, {}
        for fa in current:
            vals = fa._values_to_record_again()
            try:
                prepared = self._normalise_fa_vals(vals, settings)
            except ValidationError as exc:
                refused[fa.partner_id.id] = safe_message(exc)
                continue
            if (prepared["fa_string"], prepared["spar_strategy_id"]) == (
                fa.fa_string,
                fa.spar_strategy_id,
            ):
                unchanged += 1
            else:
                vals_list.append(vals)
        return self.sudo().create(vals_list), unchanged, refused

    def _values_to_record_again(self):
        """The values a new FA equal to this one is created from: what was
        entered and the records picked, not what was derived from them."""
        self.ensure_one()
        vals = {"partner_id": self.partner_id.id}
        for fname in (*FA_VALUE_FIELDS, "branch_id", "wallet_provider_id"):
            value = self[fname]
            vals[fname] = value.id if isinstance(value, models.BaseModel) else value
        return vals

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
            elif not self.env.cr.cache.get(_REPLACING_KEY):
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
