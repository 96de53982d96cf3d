/** @odoo-module **/
/* License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("g2p_spar_fa_openg2p_portal_payment", {
    test: true,
    steps: () => [
        {
            content: "Given name",
            trigger: "form#creategroupForm input[name='given_name']",
            run: "text Zawadi",
        },
        {
            content: "Family name",
            trigger: "input[name='family_name']",
            run: "text Portaltour",
        },
        {
            content: "Gender",
            trigger: "select[name='gender']",
            run: "text Female",
        },
        {
            content: "A mobile wallet in the payment section",
            trigger: ".o_g2p_payment_fa_section select[name='kind']",
            run: "text Mobile Wallet",
        },
        {
            content: "A number that is no phone number",
            trigger: "input[name='payment_msisdn']",
            run: "text 12345",
        },
        {
            content: "Submit",
            trigger: "#beneficiary_submit",
        },
        {
            content: "The error is next to the payment number, the names are kept",
            trigger: ".invalid-feedback[data-field='payment_msisdn']:contains('not a')",
            extra_trigger: "input[name='given_name'][value='Zawadi']",
            isCheck: true,
        },
        {
            content: "Gender again (the portal does not keep it)",
            trigger: "select[name='gender']",
            run: "text Female",
        },
        {
            content: "Correct the payment number",
            trigger: "input[name='payment_msisdn']",
            run: "text +254 712 000 333",
        },
        {
            content: "Submit again",
            trigger: "#beneficiary_submit",
        },
        {
            content: "Back on the list of individuals",
            trigger: "td:contains('Zawadi')",
            isCheck: true,
        },
    ],
});

registry.category("web_tour.tours").add("g2p_spar_fa_openg2p_portal_payment_shown", {
    test: true,
    steps: () => [
        {
            content: "The update form shows the address SPAR holds, read back",
            trigger: ".o_g2p_payment_fa_section .o_spar_state[data-state='verified']",
            isCheck: true,
        },
    ],
});
