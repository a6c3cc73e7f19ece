package io.ticketrush.web;

import io.ticketrush.sale.Buyer;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /pay?order=N[&user=ID]}: pays a pending order before its deadline. Paying twice,
 * paying too late or paying an unknown order changes nothing and says why.
 */
public final class PayServlet extends JsonServlet {
    public PayServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = orderId(request, "order");
        String user = param(request, "user");
        if (user != null) {
            Buyer.requireId("user", user);
        }
        return switch (app().orders().pay(id, user)) {
            case PAID -> Reply.ok(Json.body(Json.OK, "paid",
                    app().orders().find(id).map(o -> o.view(app().sales().now())).orElse(null)));
            case ALREADY_PAID -> new Reply(HttpServletResponse.SC_CONFLICT,
                    Json.error("already_paid", "order " + id + " is already paid"));
            case EXPIRED -> new Reply(HttpServletResponse.SC_CONFLICT,
                    Json.error("order_expired", "order " + id + " expired unpaid; its ticket went back on sale"));
            case VOIDED -> new Reply(HttpServletResponse.SC_CONFLICT, Json.error("order_voided", "order " + id
                    + " was cancelled: its buyer was answered 503 (busy), so it was never sold"));
            case UNKNOWN -> new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_order", "no order " + id));
            case NOT_YOURS -> new Reply(HttpServletResponse.SC_FORBIDDEN,
                    Json.error("not_your_order", "order " + id + " belongs to another user"));
        };
    }
}
