# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.modules.migration import load_script
from odoo.tests import tagged

from .common import FaUiCommon

RENAME_SCRIPT = "g2p_spar_fa_ui/migrations/17.0.1.0.2/pre-migrate.py"


@tagged("post_install", "-at_install")
class TestEnumeratorFieldRename(FaUiCommon):
    """A database from before 17.0.1.0.2 keeps its enumerator assignments."""

    def _as_before_the_rename(self):
        """Put back the column, index and field record 17.0.1.0.1 had."""
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE res_partner "
            "RENAME COLUMN fa_enumerator_user_id TO enumerator_user_id"
        )
        cr.execute(
            "ALTER INDEX IF EXISTS res_partner__fa_enumerator_user_id_index "
            "RENAME TO res_partner__enumerator_user_id_index"
        )
        # With OpenG2P's g2p_enumerator, its related Char holds the old name.
        cr.execute(
            "UPDATE ir_model_fields SET name = 'enumerator_user_id' "
            "WHERE model = 'res.partner' AND name = 'fa_enumerator_user_id' "
            "AND NOT EXISTS (SELECT 1 FROM ir_model_fields "
            "WHERE model = 'res.partner' AND name = 'enumerator_user_id')"
        )
        cr.execute(
            "UPDATE ir_model_data SET name = 'field_res_partner__enumerator_user_id' "
            "WHERE module = 'g2p_spar_fa_ui' "
            "AND name = 'field_res_partner__fa_enumerator_user_id'"
        )

    def _column_names(self):
        self.env.cr.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'res_partner' AND column_name LIKE '%%enumerator%%'"
        )
        return {name for (name,) in self.env.cr.fetchall()}

    def test_assignments_and_field_record_survive(self):
        partner = self._registrant("Assigned Registrant")
        partner.fa_enumerator_user_id = self.enumerator
        field = self.env["ir.model.fields"]._get("res.partner", "fa_enumerator_user_id")
        self.env.flush_all()
        self._as_before_the_rename()
        self.env.invalidate_all()
        script = load_script(RENAME_SCRIPT, "g2p_spar_fa_ui_rename_enumerator")
        script.migrate(self.env.cr, "17.0.1.0.1")
        script.migrate(self.env.cr, "17.0.1.0.1")  # a second run changes nothing
        self.env.invalidate_all()
        self.assertEqual(partner.fa_enumerator_user_id, self.enumerator)
        self.assertNotIn("enumerator_user_id", self._column_names())
        self.assertEqual(field.name, "fa_enumerator_user_id")
        self.assertEqual(
            self.env.ref("g2p_spar_fa_ui.field_res_partner__fa_enumerator_user_id"),
            field,
        )

    def test_a_new_database_is_left_alone(self):
        script = load_script(RENAME_SCRIPT, "g2p_spar_fa_ui_rename_enumerator")
        script.migrate(self.env.cr, None)
        script.migrate(self.env.cr, "17.0.1.0.1")
        self.assertIn("fa_enumerator_user_id", self._column_names())
