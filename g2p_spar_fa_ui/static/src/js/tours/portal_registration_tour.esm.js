/** @odoo-module **/
/* License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("g2p_spar_fa_ui_portal_registration", {
    test: true,
    steps: () => [
        {
            content: "Name the registrant",
            trigger: "form.o_registrant_form input[name='name']",
            run: "text Amina Portal Tour",
        },
        {
            content: "Contact phone",
            trigger: "input[name='phone']",
            run: "text +254 700 000 001",
        },
        {
            content: "A mobile wallet",
            trigger: "select[name='kind']",
            run: "text Mobile Wallet",
        },
        {
            content: "A number that is no phone number",
            trigger: "input[name='payment_msisdn']",
            run: "text 12345",
        },
        {
            content: "Save",
            trigger: "form.o_registrant_form button[type='submit']",
        },
        {
            content: "The error is shown next to the payment number",
            trigger: ".invalid-feedback[data-field='payment_msisdn']:contains('not a')",
            extra_trigger: "input[name='name'][value='Amina Portal Tour']",
            isCheck: true,
        },
        {
            content: "Correct the payment number",
            trigger: "input[name='payment_msisdn']",
            run: "text +254 712 000 222",
        },
        {
            content: "Save again",
            trigger: "form.o_registrant_form button[type='submit']",
        },
        {
            content: "Saved, and on its way to SPAR",
            trigger: ".o_registrant_saved",
            extra_trigger: ".o_spar_state[data-state='pending']",
            isCheck: true,
        },
    ],
});

registry.category("web_tour.tours").add("g2p_spar_fa_ui_portal_verified", {
    test: true,
    steps: () => [
        {
            content: "SPAR holds the registrant's address and it was read back",
            trigger: "form.o_registrant_form",
            extra_trigger: ".o_spar_state[data-state='verified']",
            isCheck: true,
        },
    ],
});
