# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .. import change
from ..lib import fa_format

VIEWER = "g2p_spar_fa_base.group_fa_viewer"


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_registrant = fields.Boolean(index=True)
    registrant_ref = fields.Char(
        string="Registrant ID",
        copy=False,
        index=True,
        help="Beneficiary ID used as {id} in the SPAR ID format; assigned "
        "from a sequence when a registrant is created without one.",
    )
    # Precomputed: written with the INSERT of a new registrant, not by an
    # UPDATE per registrant afterwards.
    spar_id = fields.Char(
        string="SPAR ID",
        compute="_compute_spar_id",
        store=True,
        precompute=True,
        copy=False,
        help="Beneficiary ID under which SPAR maps the registrant to the "
        "payment financial address.",
    )
    payment_fa_id = fields.Many2one(
        "g2p.payment.fa",
        string="Payment Financial Address",
        compute="_compute_payment_fa_id",
        groups=VIEWER,
    )
    payment_fa_ids = fields.One2many(
        "g2p.payment.fa",
        "partner_id",
        string="Payment Financial Address History",
        context={"active_test": False},
        groups=VIEWER,
    )

    # Deferred so that the readable check of _check_spar_id_unique runs
    # first; the database still refuses duplicates from concurrent transactions.
    _sql_constraints = [
        (
            "spar_id_unique",
            "UNIQUE (spar_id) DEFERRABLE INITIALLY DEFERRED",
            "Two registrants cannot share a SPAR ID.",
        ),
    ]

    @api.model
    def _next_registrant_refs(self, count):
        """``count`` new registrant IDs, as ``next_by_code`` would draw them,
        looking the sequence up once for a whole batch of registrants."""
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", "g2p.registrant.ref"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return [False] * count
        if sequence.implementation == "standard" and not sequence.use_date_range:
            # One round trip for the batch: an ODK page or a CSV import draws
            # hundreds at once. Same numbers as _next(), in the same order.
            self.env.cr.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                (f"ir_sequence_{sequence.id:03d}", count),
            )
            numbers = sorted(number for (number,) in self.env.cr.fetchall())
            return [sequence.get_next_char(number) for number in numbers]
        return [sequence._next() for _i in range(count)]

    @api.model_create_multi
    def create(self, vals_list):
        missing = [
            vals
            for vals in vals_list
            if vals.get("is_registrant") and not vals.get("registrant_ref")
        ]
        refs = self._next_registrant_refs(len(missing)) if missing else []
        for vals, ref in zip(missing, refs, strict=True):
            vals["registrant_ref"] = ref
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        if vals.get("is_registrant") and not vals.get("registrant_ref"):
            todo = self.filtered(lambda p: not p.registrant_ref)
            refs = self._next_registrant_refs(len(todo))
            for partner, ref in zip(todo, refs, strict=True):
                partner.registrant_ref = ref
        return res

    @api.model
    @change.on_channel(change.IMPORT)
    def load(self, fields, data):
        """A data import (Odoo's import screen loads through here) is
        recorded on the import channel, whatever the caller's context says."""
        return super().load(fields, data)

    @api.depends("is_registrant", "registrant_ref")
    def _compute_spar_id(self):
        fa_model = self.env["g2p.payment.fa"]
        settings = fa_model._get_fa_settings()
        for partner in self:
            if not (partner.is_registrant and partner.registrant_ref):
                partner.spar_id = False
                continue
            try:
                partner.spar_id = fa_format.format_spar_id(
                    settings, partner.registrant_ref
                )
            except fa_format.FaValidationError as exc:
                raise fa_model._fa_error(exc) from exc

    @api.depends("payment_fa_ids.active")
    def _compute_payment_fa_id(self):
        for partner in self:
            partner.payment_fa_id = partner.payment_fa_ids.filtered("active")[:1]

    @api.model
    def _spar_id_clash_error(self, first, second, spar_id):
        return ValidationError(
            _(
                "Registrants %(first)s and %(second)s would share the SPAR ID "
                "%(spar_id)s; SPAR IDs must be unique.",
                first=first.sudo().display_name,
                second=second.sudo().display_name,
                spar_id=spar_id,
            )
        )

    @api.constrains("is_registrant", "registrant_ref")
    def _check_spar_id_unique(self):
        """Refuse a SPAR ID another registrant holds, with both names.

        One query for the whole recordset: an import creates thousands of
        registrants in one call.
        """
        registrants = {}
        for partner in self.filtered("spar_id"):
            other = registrants.setdefault(partner.spar_id, partner)
            if other != partner:
                raise self._spar_id_clash_error(other, partner, partner.spar_id)
        if not registrants:
            return
        other = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("spar_id", "in", list(registrants)),
                    ("id", "not in", self.ids),
                ],
                order="id",
                limit=1,
            )
        )
        if other:
            partner = registrants[other.spar_id]
            raise self._spar_id_clash_error(other, partner, partner.spar_id)

    @api.model
    def _check_spar_id_settings(self, settings):
        """Refuse ID settings under which two registrants would share a SPAR ID,
        before the settings are saved."""
        registrants = (
            self.sudo()
            .with_context(active_test=False)
            .search([("is_registrant", "=", True), ("registrant_ref", "!=", False)])
        )
        seen = {}
        for partner in registrants:
            try:
                spar_id = fa_format.format_spar_id(settings, partner.registrant_ref)
            except fa_format.FaValidationError as exc:
                raise self.env["g2p.payment.fa"]._fa_error(exc) from exc
            other = seen.setdefault(spar_id, partner)
            if other != partner:
                raise self._spar_id_clash_error(other, partner, spar_id)

    @api.model
    def _recompute_spar_ids(self):
        """Re-derive every stored SPAR ID after the ID format settings changed."""
        registrants = self.with_context(active_test=False).search(
            [("is_registrant", "=", True)]
        )
        self.env.add_to_compute(self._fields["spar_id"], registrants)
        registrants._check_spar_id_unique()

    def action_new_payment_fa(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("New Payment Financial Address"),
            "res_model": "g2p.payment.fa",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_remove_payment_fa(self):
        return self.payment_fa_id.action_remove()
