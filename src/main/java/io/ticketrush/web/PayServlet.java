package io.ticketrush.web;

import java.util.Optional;

import io.ticketrush.order.Order;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /pay?order=ID[&user=ID]}: pays a pending order before its deadline. Paying twice,
 * paying too late or paying an unknown order changes nothing and says why. An order of a sale with
 * signed buyers is paid by its buyer's token only; for anyone else it does not exist ({@link OrderAccess}).
 */
public final class PayServlet extends JsonServlet {
    public PayServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = param(request, "order"); // as the buyer knows it: the answers name it so
        Identity who = identity(request);
        OrderAccess access = orderAccess();
        Optional<Order> order = access.find(who, id, "order"); // another's order of a signed sale: none
        if (order.isEmpty()) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_order", "no order " + id));
        }
        String number = order.get().id();
        return switch (app().orders().pay(number, who.payer())) {
            case PAID -> Reply.ok(Json.body(Json.OK, "paid",
                    app().orders().find(number).map(o -> access.view(o, app().sales().now())).orElse(null)));
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
