package io.ticketrush.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code GET /order?id=N}: one order's state and whether it is already in the database. */
public final class OrderServlet extends JsonServlet {
    public OrderServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = orderId(request, "id");
        return app().orders().find(id)
                .map(order -> Reply.ok(Json.body(Json.OK, order.state(), order.view(app().sales().now()))))
                .orElseGet(() -> new Reply(HttpServletResponse.SC_NOT_FOUND,
                        Json.error("unknown_order", "no order " + id)));
    }
}
