# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.g2p_registration_portal_base.controllers.main import (
    G2PregistrationPortalBase,
)
from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_ui.controllers.portal import (
    RegistrantPortal,
    payment_choices,
)

CREATE_TEMPLATE = "g2p_registration_portal_base.individual_registrant_form_template"
UPDATE_TEMPLATE = "g2p_registration_portal_base.individual_update_form_template"
# The registration portal's own inputs, kept when a form comes back with errors.
REGISTRANT_INPUTS = (
    "given_name",
    "addl_name",
    "family_name",
    "birthdate",
    "gender",
    "email",
)


class RegistrationPortalPaymentFa(G2PregistrationPortalBase):
    """The payment FA section of OpenG2P's individual forms.

    OpenG2P's handlers run as superuser and load any registrant whose id is
    posted. Here a registrant is only shown or changed by the portal user who
    registered it (``user_id``, the portal's own list of individuals): any
    other id gets a 404, and nothing of it is written, its names included.
    The FA goes through the FA model like every channel, recorded on the
    portal channel; an FA it refuses brings the form back with the message
    next to the field and every input kept, and nothing is saved.
    """

    @staticmethod
    def _own_individual(registrant_id):
        try:
            registrant_id = int(registrant_id or 0)
        except (TypeError, ValueError):
            return None
        partner = request.env["res.partner"].sudo().browse(registrant_id).exists()
        if (
            not partner
            or not partner.is_registrant
            or partner.is_group
            or not partner.active
            or partner.user_id != request.env.user
        ):
            return None
        return partner

    @staticmethod
    def _payment_values(partner, post=None, errors=None):
        """What the payment section of the form shows."""
        form = {}
        if post is not None:
            form = {k: v for k, v in post.items() if k != "csrf_token"}
        return {
            "partner": partner,
            "form": form,
            "errors": errors or {},
            **payment_choices(),
        }

    def _render_with_errors(self, template, partner, post, errors):
        values = self._payment_values(partner, post, errors)
        values["gender"] = request.env["gender.type"].sudo().search([])
        if partner:
            values["beneficiary"] = partner
        return request.render(template, values)

    @staticmethod
    def _check_fa(kind, fa_vals):
        """``{field: message}`` of the posted FA, checked before anything
        is written (the registrant may not exist yet)."""
        errors = RegistrantPortal._input_errors({}, fa_vals)
        if errors or not kind:
            return errors
        fa_model = request.env["g2p.payment.fa"].sudo()
        vals = dict(fa_vals, kind=kind)
        if "bank_id" in vals:
            vals["bank_id"] = int(vals["bank_id"] or 0) or False
        try:
            fa_model._normalise_fa_vals(
                fa_model._add_missing_default_values(vals),
                fa_model._get_fa_settings(),
            )
        except (UserError, ValidationError) as exc:
            return RegistrationPortalPaymentFa._fa_error(exc)
        return {}

    @staticmethod
    def _save_fa(partner, kind, fa_vals):
        if "bank_id" in fa_vals:
            fa_vals = dict(fa_vals, bank_id=int(fa_vals["bank_id"] or 0) or False)
        with change.recording(request.env, change.ChangeContext(change.PORTAL)):
            request.env["g2p.payment.fa"].sudo().create(
                [dict(fa_vals, partner_id=partner.id, kind=kind)]
            )

    @staticmethod
    def _fa_error(exc):
        """``{field: message}`` of an FA the FA model refused on saving."""
        request.env.invalidate_all()
        field, message = request.env["g2p.payment.fa"]._input_error(exc)
        return {field or "form": message}

    @http.route()
    def individual_registrar_create(self, **kw):
        response = super().individual_registrar_create(**kw)
        response.qcontext.update(self._payment_values(request.env["res.partner"]))
        return response

    @http.route()
    def individual_create_submit(self, **kw):
        kind, fa_vals = RegistrantPortal._posted_fa(kw)
        errors = self._check_fa(kind, fa_vals)
        if errors:
            return self._render_with_errors(
                CREATE_TEMPLATE, request.env["res.partner"], kw, errors
            )
        partners = request.env["res.partner"].sudo()
        newest = partners.search([], order="id desc", limit=1).id or 0
        try:
            with request.env.cr.savepoint():
                response = super().individual_create_submit(**kw)
                created = partners.search(
                    [
                        ("id", ">", newest),
                        ("user_id", "=", request.env.uid),
                        ("is_registrant", "=", True),
                    ],
                    order="id desc",
                    limit=1,
                )
                if kind and created:
                    self._save_fa(created, kind, fa_vals)
        except (UserError, ValidationError) as exc:
            return self._render_with_errors(
                CREATE_TEMPLATE, partners, kw, self._fa_error(exc)
            )
        return response

    @http.route()
    def indvidual_update(self, _id, **kw):
        partner = self._own_individual(_id)
        if partner is None:
            return request.not_found()
        response = super().indvidual_update(_id, **kw)
        if hasattr(response, "qcontext"):
            response.qcontext.update(self._payment_values(partner))
        return response

    @http.route()
    def update_individual_submit(self, **kw):
        partner = self._own_individual(kw.get("group_id"))
        if partner is None:
            return request.not_found()
        kind, fa_vals = RegistrantPortal._posted_fa(kw)
        errors = self._check_fa(kind, fa_vals)
        if errors:
            return self._render_with_errors(UPDATE_TEMPLATE, partner, kw, errors)
        try:
            with request.env.cr.savepoint():
                response = super().update_individual_submit(**kw)
                if kind:
                    self._save_fa(partner, kind, fa_vals)
        except (UserError, ValidationError) as exc:
            return self._render_with_errors(
                UPDATE_TEMPLATE, partner, kw, self._fa_error(exc)
            )
        return response
