package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.order.Order;
import io.ticketrush.order.Payment;
import io.ticketrush.sale.Admission;
import io.ticketrush.settings.PaySettings;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /pay?order=ID[&user=ID]}: starts paying a pending order before its deadline, 202 with
 * the payment's id, its amount, and where the buyer pays ({@code payUrl}: the demo provider's page
 * when {@code rush.pay.demo} is on). Asking again while the payment is under way answers the same
 * payment. The order stays pending: only the payment provider's signed word
 * ({@link PayCallbackServlet}) makes it paid. Paying a paid, expired, voided or unknown order
 * changes nothing and says why. An order of a sale with signed buyers is paid by its buyer's token
 * only; for anyone else it does not exist ({@link OrderAccess}), and the answers name it by its
 * public id.
 */
public final class PayServlet extends JsonServlet {
    public PayServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String id = param(request, "order"); // as the buyer knows it: the answers name it so
        Identity who = identity(request);
        // from here on it waits for Redis: under the node's bound, the excess told busy, nothing started
        Admission.Permit place = orderPlace();
        try {
            return pay(id, who);
        } finally {
            place.release();
        }
    }

    private Reply pay(String id, Identity who) {
        OrderAccess access = orderAccess();
        Optional<Order> order = access.find(who, id, "order"); // another's order of a signed sale: none
        if (order.isEmpty()) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_order", "no order " + id));
        }
        PaySettings pay = app().settings().pay();
        if (!pay.on()) {
            return new Reply(HttpServletResponse.SC_SERVICE_UNAVAILABLE, Json.error("payments_off",
                    "payments are off on this node: no payment provider secret (rush.pay.secret.file) is configured"));
        }
        Payment.Started started = app().orders().startPayment(order.get().id(), who.payer(), pay.amount());
        return switch (started.outcome()) {
            case STARTED, RESUMED -> new Reply(HttpServletResponse.SC_ACCEPTED, Json.body(Json.OK, "payment started",
                    view(started.payment(), access.shownId(order.get()), started.outcome() == Payment.Start.RESUMED,
                            pay.demo())));
            case ALREADY_PAID -> new Reply(HttpServletResponse.SC_CONFLICT,
                    Json.error("already_paid", "order " + id + " is already paid"));
            case EXPIRED -> new Reply(HttpServletResponse.SC_CONFLICT,
                    Json.error("order_expired", "order " + id + " expired unpaid; its ticket went back on sale"));
            case VOIDED -> new Reply(HttpServletResponse.SC_CONFLICT, Json.error("order_voided", "order " + id
                    + " was cancelled: its buyer was answered 503 (busy), so it was never sold"));
            case CANCELLED -> new Reply(HttpServletResponse.SC_CONFLICT, Json.error("order_cancelled", "order " + id
                    + " was cancelled by its buyer; its ticket went back"));
            case UNKNOWN -> new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_order", "no order " + id));
            case NOT_YOURS -> new Reply(HttpServletResponse.SC_FORBIDDEN,
                    Json.error("not_your_order", "order " + id + " belongs to another user"));
        };
    }

    /** {@code orderId}: the order as the buyer sees it (public in a sale with signed buyers). */
    private static Map<String, Object> view(Payment payment, String orderId, boolean resumed, boolean demo) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("paymentId", payment.id());
        view.put("orderId", orderId);
        view.put("amount", payment.amount());
        view.put("state", payment.state());
        view.put("resumed", resumed);
        // without the demo, a site's own provider integration makes the checkout from paymentId and amount
        view.put("payUrl", demo ? DemoPayServlet.checkoutPath(payment.id()) : null);
        return view;
    }
}
