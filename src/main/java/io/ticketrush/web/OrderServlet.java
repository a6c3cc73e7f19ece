package io.ticketrush.web;

import io.ticketrush.sale.Admission;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /order?id=ID}: one order's state and whether it is already in the database. An order
 * of a sale with signed buyers only for its buyer's token ({@link OrderAccess}).
 */
public final class OrderServlet extends JsonServlet {
    public OrderServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = param(request, "id");
        Identity who = identity(request);
        OrderAccess access = orderAccess();
        // the read waits for Redis (or the archive): under the node's bound, the excess told busy
        Admission.Permit place = orderPlace();
        try {
            return access.find(who, id, "id")
                    .map(order -> Reply.ok(Json.body(Json.OK, order.state(), access.view(order, app().sales().now()))))
                    .orElseGet(() -> new Reply(HttpServletResponse.SC_NOT_FOUND,
                            Json.error("unknown_order", "no order " + id)));
        } finally {
            place.release();
        }
    }
}
