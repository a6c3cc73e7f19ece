package io.ticketrush.web;

import java.util.Optional;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.sale.Admission;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /order/cancel?id=ID} with the buyer's token: the buyer gives up a pending order before
 * its deadline; its ticket goes back (to the stock, or in a queued sale to the next place of the
 * waiting room: docs/queue.md) and the order answers state {@code cancelled}. Only the order's own
 * buyer, signed: without a token a 401, another's order a 404 as one that does not exist
 * ({@link OrderAccess}); a paid order 409 {@code already_paid}, an expired, voided or cancelled one
 * 409 {@code not_pending}. A payment started for the order and confirmed later is owed back.
 */
public final class OrderCancelServlet extends JsonServlet {
    public OrderCancelServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = param(request, "id");
        Identity who = identity(request);
        who.requireToken("an order is cancelled by its buyer: send Authorization: Bearer TOKEN");
        // from here on it waits for Redis: under the node's bound, the excess told busy, nothing changed
        Admission.Permit place = orderPlace();
        try {
            return cancel(id, who);
        } finally {
            place.release();
        }
    }

    private Reply cancel(String id, Identity who) {
        OrderAccess access = orderAccess();
        // an open sale's order is found by anyone with its id, but cancelled by its own buyer only
        Optional<Order> order = access.find(who, id, "id").filter(o -> who.signedInAs(o.user()));
        if (order.isEmpty()) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_order", "no order " + id));
        }
        OrderBook.Cancel cancelled = app().orders().cancel(order.get().id(), order.get().user());
        return switch (cancelled) {
            case CANCELLED -> app().orders().find(order.get().id())
                    .map(now -> Reply.ok(Json.body(Json.OK, "cancelled", access.view(now, app().sales().now()))))
                    .orElseGet(() -> new Reply(HttpServletResponse.SC_NOT_FOUND,
                            Json.error("unknown_order", "no order " + id)));
            case UNKNOWN, NOT_YOURS -> new Reply(HttpServletResponse.SC_NOT_FOUND,
                    Json.error("unknown_order", "no order " + id));
            case ALREADY_PAID -> new Reply(HttpServletResponse.SC_CONFLICT,
                    Json.error("already_paid", "order " + id + " is paid: it cannot be cancelled"));
            case NOT_PENDING -> new Reply(HttpServletResponse.SC_CONFLICT, Json.error("not_pending", "order " + id
                    + " is no longer pending (expired, voided or cancelled already)"));
        };
    }
}
