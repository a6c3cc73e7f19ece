package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;

import io.ticketrush.sale.Admission;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.ShedException;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code POST /queue/leave?sale=ID} with the buyer's token: the buyer gives their turn in a queued
 * sale's waiting room back (docs/queue.md, "Leaving"). Admitted, their pass lapses at the next
 * admission step and its slot goes to the next place; waiting, their pass will lapse as soon as
 * their place is admitted. Answers {@code {"code":1,"msg":"left","data":{"sale":ID,"admitted":B}}},
 * the same when asked again. A pass that bought: 409 {@code pass_spent} (cancel the order instead);
 * no place in the room: 404 {@code not_in_room}; no token 401; unknown sale 404; a sale without a
 * room or closed 409.
 */
public final class QueueLeaveServlet extends JsonServlet {
    public QueueLeaveServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Sale sale = app().sales().sale(Sale.requireId("sale", param(request, "sale")));
        Identity who = identity(request);
        who.requireToken("a place in a waiting room belongs to a signed buyer: send Authorization: Bearer TOKEN");
        String user = who.buyer(sale);
        // one Redis call: under the rooms' bound, the excess told busy at once, nothing changed
        Admission.Permit permit = app().roomAdmission().tryAcquire().orElseThrow(() -> new ShedException(
                "node busy: " + app().roomAdmission() + " joins and polls of waiting rooms in flight"));
        try {
            boolean admitted = app().queue().leave(sale, user);
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("sale", sale.id());
            data.put("admitted", admitted);
            return Reply.ok(Json.body(Json.OK, "left", data));
        } finally {
            permit.release();
        }
    }
}
