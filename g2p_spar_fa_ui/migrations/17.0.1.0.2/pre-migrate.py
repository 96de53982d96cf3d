# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""``res.partner.enumerator_user_id`` becomes ``fa_enumerator_user_id``.

OpenG2P's ``g2p_enumerator`` defines ``enumerator_user_id`` as a related Char;
sharing the name, whichever module loaded last won and, after a restart, our
enumerators lost their registrants. Renaming the column (and the field's
record, so that saved filters and translations follow) before the module
loads keeps every assignment. Only our Many2one is renamed: an integer column
and a many2one field record of this module.
"""

OLD, NEW = "enumerator_user_id", "fa_enumerator_user_id"


def _column_type(cr, column):
    cr.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'res_partner' AND column_name = %s",
        (column,),
    )
    row = cr.fetchone()
    return row and row[0]


def rename_enumerator_field(cr):
    if _column_type(cr, OLD) == "integer" and not _column_type(cr, NEW):
        cr.execute(f"ALTER TABLE res_partner RENAME COLUMN {OLD} TO {NEW}")
        cr.execute(
            f"ALTER INDEX IF EXISTS res_partner__{OLD}_index "
            f"RENAME TO res_partner__{NEW}_index"
        )
    cr.execute(
        """
        UPDATE ir_model_fields f SET name = %(new)s
         WHERE f.model = 'res.partner' AND f.name = %(old)s
           AND f.ttype = 'many2one' AND f.relation = 'res.users'
           AND NOT EXISTS (SELECT 1 FROM ir_model_fields n
                            WHERE n.model = 'res.partner' AND n.name = %(new)s)
        """,
        {"old": OLD, "new": NEW},
    )
    cr.execute(
        """
        UPDATE ir_model_data SET name = %(new)s
         WHERE module = 'g2p_spar_fa_ui' AND model = 'ir.model.fields'
           AND name = %(old)s
           AND res_id IN (SELECT id FROM ir_model_fields
                           WHERE model = 'res.partner' AND name = %(field)s)
        """,
        {
            "old": f"field_res_partner__{OLD}",
            "new": f"field_res_partner__{NEW}",
            "field": NEW,
        },
    )


def migrate(cr, version):
    if version:
        rename_enumerator_field(cr)
