# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.g2p_spar_fa_sync.lib import outbox_states as st

VIEWER = "g2p_spar_fa_base.group_fa_viewer"
MANAGER = "g2p_spar_fa_base.group_fa_manager"
# Fields showing the current FA -> its field.
CURRENT_FA_FIELDS = {
    "current_fa_kind": "kind",
    "current_fa_masked": "fa_masked",
    "current_fa_string": "fa_string",
    "current_fa_bank_id": "bank_id",
    "current_fa_bic": "bic",
    "current_fa_holder_name": "holder_name",
    "current_fa_account_number": "account_number",
    "current_fa_iban": "iban",
    "current_fa_payment_msisdn": "payment_msisdn",
    "current_fa_payment_email": "payment_email",
    "current_fa_provider_code": "provider_code",
}
SPAR_STATES = [
    ("not_sent", "Not sent"),
    ("pending", "Pending"),
    ("done", "In SPAR, not verified"),
    ("verified", "In SPAR, verified"),
    ("failed", "Failed"),
    ("drift", "Drift"),
    ("removed", "Removed from SPAR"),
]
# The outbox states and verdicts SPAR_STATE_SQL groups rows by.
OUTBOX_STATES_SQL = {
    "failed": st.sql_in("state", (st.FAILED,)),
    "in_flight": st.sql_in("state", (st.PENDING, st.SENDING, st.RETRY_WAIT)),
    "done": st.sql_in("state", (st.DONE,)),
    "mismatch": st.sql_in("l.verification", (st.MISMATCH,)),
    "verified": st.sql_in("l.verification", (st.VERIFIED,)),
}
# The SPAR state of every registrant with outbox rows or a drift line in the
# latest finished reconciliation; the others are "not sent". A drift line
# counts until a row reaches SPAR after the reconciliation that found it.
SPAR_STATE_SQL = """
    WITH latest_run AS (
        SELECT id, finished_at FROM g2p_spar_reconciliation
         WHERE state = 'done' ORDER BY id DESC LIMIT 1
    ), drift AS (
        SELECT DISTINCT d.partner_id, r.finished_at
          FROM g2p_spar_drift d JOIN latest_run r ON r.id = d.reconciliation_id
    ), rows AS (
        SELECT partner_id,
               bool_or({failed}) AS failed,
               bool_or({in_flight}) AS pending
          FROM g2p_spar_outbox
         WHERE {where}
      GROUP BY partner_id
    ), last_done AS (
        SELECT DISTINCT ON (partner_id) partner_id, done_at, verification,
               COALESCE(sent_operation, operation) AS operation
          FROM g2p_spar_outbox
         WHERE {done} AND {where}
      ORDER BY partner_id, sequence DESC
    )
    SELECT p.partner_id,
           CASE WHEN r.failed THEN 'failed'
                WHEN r.pending THEN 'pending'
                WHEN {mismatch}
                  OR (d.partner_id IS NOT NULL
                      AND (l.done_at IS NULL OR l.done_at <= d.finished_at))
                     THEN 'drift'
                WHEN l.partner_id IS NULL THEN 'not_sent'
                WHEN l.operation = 'unlink' THEN 'removed'
                WHEN {verified} THEN 'verified'
                ELSE 'done' END
      FROM (SELECT partner_id FROM rows
            UNION SELECT partner_id FROM drift WHERE {where}) p
      LEFT JOIN rows r ON r.partner_id = p.partner_id
      LEFT JOIN last_done l ON l.partner_id = p.partner_id
      LEFT JOIN drift d ON d.partner_id = p.partner_id
"""


class ResPartner(models.Model):
    _inherit = "res.partner"

    fa_enumerator_user_id = fields.Many2one(
        "res.users",
        string="Enumerator",
        index=True,
        copy=False,
        domain=lambda self: [
            ("groups_id", "in", self.env.ref("g2p_spar_fa_ui.group_fa_enumerator").id)
        ],
        help="Portal user who registered the registrant or is assigned to it: "
        "the only enumerator who sees and edits it in the registration portal.",
    )
    spar_state = fields.Selection(
        SPAR_STATES,
        string="SPAR State",
        compute="_compute_spar_state",
        search="_search_spar_state",
        groups=VIEWER,
        help="What SPAR holds for the registrant, from its latest outbox rows "
        "and the latest reconciliation.",
    )
    spar_state_note = fields.Char(
        string="SPAR Details",
        compute="_compute_spar_state",
        groups=VIEWER,
    )
    # The current FA, kind by kind; raw values for FA managers only.
    current_fa_kind = fields.Selection(
        selection=lambda self: self.env["g2p.payment.fa"]._fields["kind"].selection,
        string="Kind",
        compute="_compute_current_fa",
        groups=VIEWER,
    )
    current_fa_masked = fields.Char(
        string="Financial Address", compute="_compute_current_fa", groups=VIEWER
    )
    current_fa_string = fields.Char(
        string="Financial Address (full)",
        compute="_compute_current_fa",
        groups=MANAGER,
    )
    current_fa_bank_id = fields.Many2one(
        "res.bank", string="Bank", compute="_compute_current_fa", groups=VIEWER
    )
    current_fa_bic = fields.Char(
        string="BIC", compute="_compute_current_fa", groups=VIEWER
    )
    current_fa_holder_name = fields.Char(
        string="Account Holder", compute="_compute_current_fa", groups=VIEWER
    )
    current_fa_account_number = fields.Char(
        string="Account Number", compute="_compute_current_fa", groups=MANAGER
    )
    current_fa_iban = fields.Char(
        string="IBAN", compute="_compute_current_fa", groups=MANAGER
    )
    current_fa_payment_msisdn = fields.Char(
        string="Payment Mobile Number", compute="_compute_current_fa", groups=MANAGER
    )
    current_fa_payment_email = fields.Char(
        string="Payment E-mail", compute="_compute_current_fa", groups=MANAGER
    )
    current_fa_provider_code = fields.Char(
        string="Wallet Provider", compute="_compute_current_fa", groups=VIEWER
    )

    def _readable(self, names):
        """The fields of ``names`` the current user may read.

        Computed fields are not checked when a record is read attribute-wise
        (as export does): their computation must not disclose values.
        """
        return {
            name
            for name in names
            if self.env.su
            or not self._fields[name].groups
            or self.user_has_groups(self._fields[name].groups)
        }

    @api.depends("payment_fa_id")
    @api.depends_context("uid")
    def _compute_current_fa(self):
        # FA values never change: following the current FA is enough.
        readable = self._readable(CURRENT_FA_FIELDS)
        for partner in self:
            fa = partner.sudo().payment_fa_id
            partner.update(
                {
                    name: fa[fa_name] if name in readable else False
                    for name, fa_name in CURRENT_FA_FIELDS.items()
                }
            )

    @api.model
    def _spar_states(self, partner_ids=None):
        """{partner id: SPAR state} of the registrants that have one."""
        self.env.flush_all()
        if partner_ids is None:
            where, params = "TRUE", []
        else:
            where, params = "partner_id = ANY(%s)", [list(partner_ids)]
        # pylint: disable=sql-injection
        self.env.cr.execute(
            SPAR_STATE_SQL.format(where=where, **OUTBOX_STATES_SQL), params * 3
        )
        return dict(self.env.cr.fetchall())

    @api.depends("g2p_spar_outbox_ids.state", "g2p_spar_outbox_ids.verification")
    @api.depends_context("uid")
    def _compute_spar_state(self):
        if not self._readable(["spar_state"]):
            self.spar_state = self.spar_state_note = False
            return
        states = self._spar_states([pid for pid in self.ids if pid])
        notes = self._spar_state_notes(states)
        for partner in self:
            partner.spar_state = states.get(partner.id, "not_sent")
            partner.spar_state_note = notes.get(partner.id, False)

    def _spar_state_notes(self, states):
        """A line saying what to do about the registrants that are not fine."""
        failed = [pid for pid, state in states.items() if state == "failed"]
        errors = {}
        # One search for the whole list view, the newest failed row first.
        for row in (
            self.env["g2p.spar.outbox"]
            .sudo()
            .search([("partner_id", "in", failed), ("state", "=", st.FAILED)])
        ):
            errors.setdefault(row.partner_id.id, row.last_error)
        notes = {}
        for partner in self:
            state = states.get(partner.id, "not_sent")
            if state == "failed":
                notes[partner.id] = errors.get(partner.id, False)
            elif state == "drift":
                notes[partner.id] = _("SPAR holds something else than our address.")
            elif state == "not_sent" and not partner.sudo().payment_fa_id:
                notes[partner.id] = _("No payment address.")
            elif state == "removed":
                notes[partner.id] = _("The payment address was removed.")
        return notes

    def _search_spar_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("Search the SPAR state by its value."))
        wanted = {value} if isinstance(value, str) else set(value or ())
        states = self._spar_states()
        if "not_sent" in wanted:
            # Registrants without rows are "not sent": negate the others.
            others = [pid for pid, state in states.items() if state not in wanted]
            positive = [("id", "not in", others)]
        else:
            matching = [pid for pid, state in states.items() if state in wanted]
            positive = [("id", "in", matching)]
        if operator in ("=", "in"):
            return positive
        return ["!", *positive]

    def action_amend_payment_fa(self):
        """Every backend change goes through the amendment wizard, which
        records the reason and the beneficiary's request reference."""
        self.ensure_one()
        return self.env["g2p.fa.amendment"]._open_for(self, "change")

    def action_amend_remove_payment_fa(self):
        self.ensure_one()
        return self.env["g2p.fa.amendment"]._open_for(self, "remove")

    def action_check_spar(self):
        """Resolve the registrant in SPAR now and show it beside our FA."""
        self.ensure_one()
        return self.env["g2p.spar.fa.check"]._check(self)

    def action_open_payment_readiness(self):
        """The selected registrants that cannot be paid through SPAR yet."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "g2p_spar_fa_ui.action_payment_readiness"
        )
        action["domain"] = [
            ("id", "in", self.ids),
            ("is_registrant", "=", True),
            ("spar_state", "!=", "verified"),
        ]
        return action
