package io.ticketrush.web;

import java.util.List;
import java.util.Map;

import io.ticketrush.order.Order;
import io.ticketrush.sale.Admission;
import io.ticketrush.sale.Sale;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /orders?user=ID[&sale=ID]}: every order the user has had, oldest first. With a bearer
 * token, the token's user's, in every sale; without one, those of open sales only (a sale with
 * signed buyers shows its orders to their buyer's token alone).
 */
public final class OrdersServlet extends JsonServlet {
    public OrdersServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Identity who = identity(request);
        String user = who.lister();
        long now = app().sales().now();
        String saleId = param(request, "sale");
        // the reads wait for Redis (or the archive): under the node's bound, the excess told busy
        Admission.Permit place = orderPlace();
        try {
            return list(who, user, now, saleId);
        } finally {
            place.release();
        }
    }

    private Reply list(Identity who, String user, long now, String saleId) {
        List<Order> found;
        if (saleId == null) {
            found = app().orders().ofUser(user);
        } else {
            Sale sale = app().sales().liveOrArchived(Sale.requireId("sale", saleId));
            if (sale.signed()) {
                who.requireToken("sale " + sale.id() + " shows its orders to their buyer's token only");
            }
            found = app().orders().ofUser(user, sale.id());
        }
        OrderAccess access = orderAccess();
        List<Map<String, Object>> orders = access.visible(who, found).stream().map(o -> access.view(o, now)).toList();
        return Reply.ok(Json.body(Json.OK, orders.size() + " orders", Map.of("user", user, "orders", orders)));
    }
}
