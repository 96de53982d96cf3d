# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Outbox rows link the FA record they carry instead of copying its values.

Rows written before kept the FA, payment phone and additional info in clear,
forever. Each upsert row is linked to the FA of its registrant's history it
copied (same FA string; else the FA current when the row was written), the
copies are dropped, and finished rows forget the name they sent.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'g2p_spar_outbox'
           AND column_name IN ('fa', 'phone_number', 'additional_info')
        """
    )
    copies = sorted(column for (column,) in cr.fetchall())
    if "fa" not in copies:
        return
    cr.execute(
        "ALTER TABLE g2p_spar_outbox ADD COLUMN IF NOT EXISTS payment_fa_id integer"
    )
    cr.execute(
        """
        UPDATE g2p_spar_outbox o
           SET payment_fa_id = COALESCE(
                (SELECT f.id FROM g2p_payment_fa f
                  WHERE f.partner_id = o.partner_id AND f.fa_string = o.fa
               ORDER BY f.id DESC LIMIT 1),
                (SELECT f.id FROM g2p_payment_fa f
                  WHERE f.partner_id = o.partner_id
                    AND f.create_date <= o.create_date
               ORDER BY f.id DESC LIMIT 1))
         WHERE o.operation != 'unlink'
        """
    )
    cr.execute(
        """
        UPDATE g2p_spar_outbox SET name = NULL
         WHERE state IN ('superseded', 'cancelled')
            OR (state = 'done' AND (verification != 'unverified'
                                    OR sent_operation = 'unlink'))
        """
    )
    for column in copies:
        cr.execute(
            SQL("ALTER TABLE g2p_spar_outbox DROP COLUMN %s", SQL.identifier(column))
        )
