# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import datetime

from odoo import api, models

from odoo.addons.g2p_odk_importer_fa.lib.submission_mapping import MappingError


class G2pOdkImportRecord(models.Model):
    """Registrants imported from ODK as OpenG2P individuals.

    Gender and birthdate are the individual's fields; the form's ID becomes
    the registrant's ``reg_ids`` entry of the configured ID type, and the
    contact phone one of their ``phone_number_ids``. An edited submission
    updates them (an ID emptied in the edit removes the entry); it never
    touches IDs of other types or phone numbers added elsewhere. A value
    that cannot be used fails the submission, recorded and retried as any
    other, and leaves the others of the page importing.
    """

    _inherit = "g2p.odk.import.record"

    @api.model
    def _registrant_vals(self, config, mapped):
        vals = super()._registrant_vals(config, mapped)
        vals["is_group"] = False
        extra = mapped.extra
        if "gender" in extra:
            vals["gender"] = self._gender(extra["gender"])
        if "birthdate" in extra:
            vals["birthdate"] = self._birthdate(extra["birthdate"])
        if "reg_id" in extra and not config.reg_id_type_id:
            raise MappingError(
                "reg_id",
                "the import configuration names no registrant ID type to "
                "store the form's ID under",
            )
        return vals

    @api.model
    def _gender(self, value):
        """The registry's gender for the form's answer (its value or code)."""
        if not value:
            return False
        choices = self.env["gender.type"].sudo().search([])
        for choice in choices:
            if value.lower() in (
                (choice.value or "").lower(),
                (choice.code or "").lower(),
            ):
                return choice.value
        raise MappingError(
            "gender",
            f"unknown gender {value!r}; expected one of "
            f"{', '.join(sorted(c.value for c in choices if c.value))}",
        )

    @staticmethod
    def _birthdate(value):
        if not value:
            return False
        try:
            birthdate = datetime.date.fromisoformat(value[:10])
        except ValueError as exc:
            raise MappingError(
                "birthdate", f"{value!r} is not a date (YYYY-MM-DD)"
            ) from exc
        if birthdate > datetime.date.today():
            raise MappingError("birthdate", "is in the future")
        return birthdate

    @api.model
    def _apply_extra(self, config, plans):
        res = super()._apply_extra(config, plans)
        partners = [
            (plan, plan.record.partner_id or plan.partner)
            for plan in plans
            if plan.extra is not None
        ]
        if config.reg_id_type_id:
            self._apply_reg_ids(config.reg_id_type_id, partners)
        self._apply_phone_numbers(partners)
        return res

    @api.model
    def _apply_reg_ids(self, id_type, partners):
        """Upsert each registrant's ID of ``id_type`` from its submission."""
        given = {
            partner.id: (plan.extra.get("reg_id") or "").strip()
            for plan, partner in partners
            if "reg_id" in plan.extra
        }
        if not given:
            return
        reg_ids = self.env["g2p.reg.id"].sudo()
        held = {
            reg_id.partner_id.id: reg_id
            for reg_id in reg_ids.search(
                [("partner_id", "in", list(given)), ("id_type", "=", id_type.id)]
            )
        }
        creating, removed = [], reg_ids
        for partner_id, value in given.items():
            current = held.get(partner_id)
            if current and not value:
                removed |= current
            elif current and current.value != value:
                current.value = value
            elif not current and value:
                creating.append(
                    {"partner_id": partner_id, "id_type": id_type.id, "value": value}
                )
        reg_ids.create(creating)
        removed.unlink()

    @api.model
    def _apply_phone_numbers(self, partners):
        """Add the contact phone to the registrant's phone numbers when it is
        not one of them yet."""
        creating = []
        for plan, partner in partners:
            phone = plan.registrant_vals.get("phone")
            if phone and phone not in partner.phone_number_ids.mapped("phone_no"):
                creating.append({"partner_id": partner.id, "phone_no": phone})
        self.env["g2p.phone.number"].sudo().create(creating)
