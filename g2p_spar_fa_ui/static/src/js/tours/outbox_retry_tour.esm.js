/** @odoo-module **/
/* License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */
import {registry} from "@web/core/registry";

const ROW = ".o_data_row:contains('Retry Tour Registrant')";

registry.category("web_tour.tours").add("g2p_spar_fa_ui_outbox_retry", {
    test: true,
    steps: () => [
        {
            content: "The row failed, with its error",
            trigger: `${ROW} td[name='state']:contains('Failed')`,
            extra_trigger: `${ROW} td[name='last_error']:contains('rejected by SPAR')`,
            isCheck: true,
        },
        {
            content: "Select it",
            trigger: `${ROW} .o_list_record_selector input`,
        },
        {
            content: "Retry",
            trigger: "button[name='action_retry']",
        },
        {
            content: "It waits to be sent again",
            trigger: `${ROW} td[name='state']:contains('Pending')`,
            isCheck: true,
        },
    ],
});

registry.category("web_tour.tours").add("g2p_spar_fa_ui_outbox_sent", {
    test: true,
    steps: () => [
        {
            content: "The retried row reached SPAR and was read back",
            trigger: `${ROW} td[name='state']:contains('Done')`,
            extra_trigger: `${ROW} td[name='verification']:contains('Verified')`,
            isCheck: true,
        },
    ],
});
