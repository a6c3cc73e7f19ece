package io.ticketrush.web;

import java.util.List;
import java.util.Map;

import io.ticketrush.order.Order;
import io.ticketrush.sale.Sale;

import io.ticketrush.sale.Buyer;
import jakarta.servlet.http.HttpServletRequest;

/** {@code GET /orders?user=ID}: every order the user has had, oldest first. */
public final class OrdersServlet extends JsonServlet {
    public OrdersServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String user = Buyer.requireId("user", param(request, "user"));
        long now = app().sales().now();
        String sale = param(request, "sale");
        List<Order> found = sale == null ? app().orders().ofUser(user)
                : app().orders().ofUser(user, app().sales().sale(Sale.requireId("sale", sale)).id());
        List<Map<String, Object>> orders = found.stream().map(o -> o.view(now)).toList();
        return Reply.ok(Json.body(Json.OK, orders.size() + " orders", Map.of("user", user, "orders", orders)));
    }
}
