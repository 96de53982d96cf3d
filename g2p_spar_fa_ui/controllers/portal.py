# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request

from odoo.addons.g2p_spar_fa_base import change
from odoo.addons.g2p_spar_fa_base.lib.fa_vocabulary import KIND_FIELDS
from odoo.addons.portal.controllers.portal import CustomerPortal

from ..lib import inputs
from ..models.res_partner import SPAR_STATES

ENUMERATOR = "g2p_spar_fa_ui.group_fa_enumerator"
CONTACT_FIELDS = ("name", "phone", "email")


def payment_choices():
    """What the payment fields of a portal form offer to pick from; the
    registration portal glue of OpenG2P renders the same fields."""
    return {
        "banks": request.env["res.bank"].sudo().search([]),
        "providers": request.env["g2p.wallet.provider"].sudo().search([]),
        "kinds": request.env["g2p.payment.fa"]._fields["kind"].selection,
        "spar_states": dict(SPAR_STATES),
    }


class RegistrantPortal(CustomerPortal):
    """Registration portal of enumerators (portal users).

    Enumerators have no access rights on registrants or FAs: every read and
    write here runs as superuser, after checking that the registrant is the
    enumerator's own (``enumerator_user_id``).
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "registrant_count" in counters:
            values["registrant_count"] = (
                len(self._own_registrants()) if self._is_enumerator() else 0
            )
        return values

    @staticmethod
    def _is_enumerator():
        return request.env.user.has_group(ENUMERATOR)

    @staticmethod
    def _own_registrants():
        return (
            request.env["res.partner"]
            .sudo()
            .search(
                [
                    ("is_registrant", "=", True),
                    ("enumerator_user_id", "=", request.env.uid),
                ],
                order="name, id",
            )
        )

    def _own_registrant(self, registrant_id):
        """The registrant if it is the enumerator's own and still active,
        else nothing: an archived registrant is out of the enumerator's
        list, and must not be changed through a remembered URL either."""
        if not self._is_enumerator():
            return None
        partner = request.env["res.partner"].sudo().browse(registrant_id).exists()
        if not partner or not partner.is_registrant or not partner.active:
            return None
        if partner.enumerator_user_id != request.env.user:
            return None
        return partner

    @http.route(
        "/my/registrants", type="http", auth="user", methods=["GET"], website=True
    )
    def portal_my_registrants(self):
        if not self._is_enumerator():
            return request.not_found()
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="registrants",
            registrants=self._own_registrants(),
            spar_states=dict(SPAR_STATES),
        )
        return request.render("g2p_spar_fa_ui.portal_my_registrants", values)

    @http.route(
        ["/my/registrants/new", "/my/registrants/<int:registrant_id>"],
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_registrant(self, registrant_id=None, **post):
        if registrant_id is None:
            if not self._is_enumerator():
                return request.not_found()
            partner = request.env["res.partner"].sudo()
        else:
            partner = self._own_registrant(registrant_id)
            if partner is None:
                return request.not_found()
        errors = {}
        if request.httprequest.method == "POST":
            partner, errors = self._save(partner, post)
            if not errors:
                return request.redirect(f"/my/registrants/{partner.id}?saved=1")
        return self._render_form(partner, post, errors)

    def _render_form(self, partner, post, errors):
        values = self._prepare_portal_layout_values()
        form = {fname: partner[fname] or "" for fname in CONTACT_FIELDS}
        if errors:
            form.update({k: v for k, v in post.items() if k != "csrf_token"})
        values.update(
            page_name="registrant",
            partner=partner,
            form=form,
            errors=errors,
            saved=bool(request.params.get("saved")) and not errors,
            **payment_choices(),
        )
        return request.render("g2p_spar_fa_ui.portal_registrant_form", values)

    def _save(self, partner, post):
        """Write the registrant and, when given, its new FA in one go.

        Returns the registrant and ``{field: message}``; on any error nothing
        was written.
        """
        contact = {fname: (post.get(fname) or "").strip() for fname in CONTACT_FIELDS}
        kind, fa_vals = self._posted_fa(post)
        errors = self._input_errors(contact, fa_vals)
        if errors:
            return partner, errors
        if not contact["name"]:
            return partner, {"name": _("Enter the registrant's name.")}
        if "bank_id" in fa_vals:
            fa_vals["bank_id"] = int(fa_vals["bank_id"] or 0) or False
        fa_model = request.env["g2p.payment.fa"].sudo()
        try:
            with (
                request.env.cr.savepoint(),
                change.recording(request.env, change.ChangeContext(change.PORTAL)),
            ):
                if partner:
                    partner.write(contact)
                else:
                    partner = partner.create(
                        dict(
                            contact,
                            is_registrant=True,
                            enumerator_user_id=request.env.uid,
                        )
                    )
                if kind in KIND_FIELDS:
                    fa_model.create(dict(fa_vals, partner_id=partner.id, kind=kind))
        except (UserError, ValidationError) as exc:
            request.env.invalidate_all()
            field, message = fa_model._input_error(exc)
            return partner.exists(), {field or "form": message}
        return partner, {}

    @staticmethod
    def _posted_fa(post):
        """``(kind, values)`` of the payment fields of a posted form: only
        the fields of the chosen kind; no kind, no values."""
        kind = post.get("kind") or ""
        if kind not in KIND_FIELDS:
            return kind, {}
        return kind, {
            fname: (post.get(fname) or "").strip() for fname in KIND_FIELDS[kind]
        }

    @staticmethod
    def _input_errors(contact, fa_vals):
        """``{field: message}`` of inputs no field can hold and of a bank
        that is not one of those offered, checked before anything is written."""
        problems = inputs.text_problems(
            {k: v for k, v in {**contact, **fa_vals}.items() if k != "bank_id"}
        )
        if fa_vals.get("bank_id"):
            try:
                bank_id = inputs.check_record_id("bank_id", fa_vals["bank_id"])
                if not request.env["res.bank"].sudo().search([("id", "=", bank_id)]):
                    raise inputs.InputProblem("bank_id", inputs.NOT_CHOICE)
            except inputs.InputProblem as problem:
                problems["bank_id"] = problem
        fa_model = request.env["g2p.payment.fa"]
        return {
            field: fa_model._input_problem_message(problem)
            for field, problem in problems.items()
        }
