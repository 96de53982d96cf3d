/** @odoo-module **/
/* License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */
import {registry} from "@web/core/registry";

const paymentTab = {
    content: "Open the Payment tab",
    trigger: ".o_notebook .nav-link:contains('Payment')",
};

registry.category("web_tour.tours").add("g2p_spar_fa_ui_amendment", {
    test: true,
    steps: () => [
        paymentTab,
        {
            content: "Nothing is in SPAR yet",
            trigger: ".o_field_widget[name='spar_state']:contains('Not sent')",
            isCheck: true,
        },
        {
            content: "Change the payment address",
            trigger: "button[name='action_amend_payment_fa']",
        },
        {
            content: "A mobile wallet",
            trigger: "div[name='kind'] input[data-value='mobile']",
        },
        {
            content: "Type the payment number",
            trigger: "div[name='payment_msisdn'] input",
            run: "text +254 712 000 111",
        },
        {
            content: "Give the reason",
            trigger: "div[name='reason'] input",
            run: "text New mobile wallet",
        },
        {
            content: "Give the request reference",
            trigger: "div[name='request_ref'] input",
            run: "text REQ-2024-001",
        },
        {
            content: "Confirm",
            trigger: "button[name='action_confirm']",
        },
        {
            content: "The new address is current, masked",
            trigger:
                ".o_field_widget[name='current_fa_masked']:contains('phone:*****111')",
            extra_trigger: "body:not(:has(.modal))",
            isCheck: true,
        },
        {
            content: "It is on its way to SPAR",
            trigger: ".o_field_widget[name='spar_state']:contains('Pending')",
            isCheck: true,
        },
        {
            content: "The change is in the history with its reason",
            trigger:
                ".o_field_widget[name='g2p_spar_outbox_ids'] td:contains('New mobile wallet')",
            isCheck: true,
        },
    ],
});

registry.category("web_tour.tours").add("g2p_spar_fa_ui_payment_tab", {
    test: true,
    steps: () => [
        paymentTab,
        {
            content: "SPAR holds the address and it was read back",
            trigger: ".o_field_widget[name='spar_state']:contains('In SPAR, verified')",
            isCheck: true,
        },
        {
            content: "Ask SPAR now",
            trigger: "button[name='action_check_spar']",
        },
        {
            content: "SPAR holds our address",
            trigger: ".modal-body:contains('SPAR holds our address')",
            isCheck: true,
        },
        {
            content: "Close",
            trigger: ".modal-footer button:contains('Close')",
        },
        {
            content: "Back on the Payment tab, scrolled into view",
            trigger: ".o_field_widget[name='g2p_spar_outbox_ids'] td:contains('Done')",
            extra_trigger: "body:not(:has(.modal))",
            run() {
                document.querySelector(".o_notebook").scrollIntoView();
            },
        },
    ],
});
