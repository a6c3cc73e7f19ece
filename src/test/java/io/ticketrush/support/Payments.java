package io.ticketrush.support;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.function.Function;

import com.google.gson.JsonObject;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.Payment;
import io.ticketrush.order.PaymentSignature;

/**
 * Paying as the tests do it: the order book's own two steps (start, then the provider's word), or
 * over HTTP as a buyer and the payment provider do ({@code POST /pay}, then the signed callback, by
 * the demo provider or by hand).
 */
public final class Payments {
    /** The payment provider's secret the tests' nodes share ({@code rush.pay.secret}). */
    public static final String SECRET = "test-pay-secret-0123456789abcdef";
    /** The settings that turn payments and the demo provider on. */
    public static final java.util.Map<String, String> SETTINGS = java.util.Map.of("rush.pay.secret", SECRET,
            "rush.pay.demo", "true");
    /** How long a test node keeps an event's answer. */
    public static final long KEEP_EVENT_MS = 600_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Payments() {
    }

    /** A new provider event id. */
    public static String eventId() {
        byte[] bits = new byte[12];
        RANDOM.nextBytes(bits);
        return "evt_" + HexFormat.of().formatHex(bits);
    }

    /** Starts the order's payment (as anyone) and fails unless one is under way. */
    public static Payment start(OrderBook orders, String orderId, long amount) {
        Payment.Started started = orders.startPayment(orderId, null, amount);
        if (started.payment() == null) {
            throw new AssertionError("no payment started for order " + orderId + ": " + started.outcome());
        }
        return started.payment();
    }

    /** The provider's word on {@code payment}, in an event of its own. */
    public static Payment.Confirmed confirm(OrderBook orders, Payment payment) {
        return orders.confirmPayment(new Payment.Notice(eventId(), payment.id(), payment.orderId(), payment.amount()),
                KEEP_EVENT_MS);
    }

    /** Pays the order with the order book's two steps: start, then the provider's word. */
    public static Payment.Confirmation pay(OrderBook orders, String orderId) {
        return confirm(orders, start(orders, orderId, 1000)).outcome();
    }

    /** A provider's event body. */
    public static String event(String eventId, String paymentId, String orderId, long amount) {
        return "{\"id\":\"" + eventId + "\",\"type\":\"payment.succeeded\",\"payment\":\"" + paymentId
                + "\",\"order\":\"" + orderId + "\",\"amount\":" + amount + "}";
    }

    /** {@code POST /pay/callback} with {@code body} and the header {@code signature} (null: none). */
    public static HttpCall.Answer callback(URI callback, String body, String signature) {
        HttpRequest.Builder request = HttpRequest.newBuilder(callback).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (signature != null) {
            request.header(PaymentSignature.HEADER, signature);
        }
        try {
            HttpResponse<String> response = HttpCall.newClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            return new HttpCall.Answer(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (java.io.IOException e) {
            return new HttpCall.Answer(-1, "POST " + callback + " failed: " + e, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new HttpCall.Answer(-1, "POST " + callback + " interrupted", "");
        }
    }

    /** {@code body} signed with the tests' secret at {@code epochSeconds}. */
    public static String sign(long epochSeconds, String body) {
        return new PaymentSignature(SECRET.getBytes(StandardCharsets.UTF_8)).sign(epochSeconds,
                body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Pays over HTTP as the buy page does: {@code POST /pay} (202: the payment), then the demo
     * provider's {@code POST /demo-pay/pay}; {@code uri} makes a node's (or Nginx's) URI of a path.
     * Returns the provider's answer (the node's answer to its event).
     */
    public static HttpCall.Answer payOverHttp(Function<String, URI> uri, String orderId, String user) {
        HttpCall.Answer started = HttpCall.send("POST", uri.apply("/pay?order=" + orderId
                + (user == null ? "" : "&user=" + user)));
        if (started.status() != 202) {
            throw new AssertionError("POST /pay for order " + orderId + " did not start a payment: " + started);
        }
        JsonObject data = started.json().getAsJsonObject("data");
        return HttpCall.send("POST", uri.apply("/demo-pay/pay?payment=" + data.get("paymentId").getAsString()));
    }
}
