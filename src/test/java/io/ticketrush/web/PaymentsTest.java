package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.RedisSnapshot;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * Paying through one real node over HTTP: {@code POST /pay} starts a payment, and only the payment
 * provider's signed callback ({@code POST /pay/callback}) makes the order paid, once; forged,
 * replayed, late and mismatched callbacks change nothing in Redis; money after the deadline is a
 * refund due. The demo provider, and payments at all, only when turned on.
 */
class PaymentsTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = Keys.ofDefault(KEY);
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        dir = Files.createTempDirectory("rush-payments-");
    }

    private void startNode(Map<String, String> extra) {
        redis.initStock(KEY, 10);
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000", "rush.lock.wait.ms", "5000",
                "rush.stock.total", "10", "rush.node.weight", "10", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.sync.ms", "100", "rush.sweep.ms", "100")));
        settings.putAll(extra);
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop();
        }
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private String buy(String user) {
        HttpCall.Answer ticket = HttpCall.send("POST", node.uri("/buy/ticket?user=" + user));
        assertEquals(1, ticket.code(), ticket::toString);
        return ticket.json().getAsJsonObject("data").get("orderId").getAsString();
    }

    private JsonObject startPayment(String order, String user) {
        HttpCall.Answer started = HttpCall.send("POST", node.uri("/pay?order=" + order + "&user=" + user));
        assertEquals(202, started.status(), started::toString);
        return started.json().getAsJsonObject("data");
    }

    private String state(String order) {
        return HttpCall.get(node.uri("/order?id=" + order)).json().getAsJsonObject("data").get("state").getAsString();
    }

    private Map<String, String> redisState() {
        try (Jedis jedis = redis.client()) {
            return RedisSnapshot.of(jedis);
        }
    }

    private long events(String event) {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(KEYS.orderStream(), (StreamEntryID) null, null).stream()
                    .filter(e -> event.equals(e.getFields().get(Keys.EVENT))).count();
        }
    }

    private String stockField(String field) {
        try (Jedis jedis = redis.client()) {
            return jedis.hget(KEY, field);
        }
    }

    private static long nowSeconds() {
        return System.currentTimeMillis() / 1000;
    }

    @Test
    void a_payment_goes_through_the_demo_provider_and_pays_the_order_once() {
        startNode(Payments.SETTINGS);
        String order = buy("alice");
        JsonObject payment = startPayment(order, "alice");
        String id = payment.get("paymentId").getAsString();
        assertEquals(order, payment.get("orderId").getAsString());
        assertEquals(1000, payment.get("amount").getAsLong(), "rush.pay.amount");
        assertEquals("/demo-pay/checkout?payment=" + id, payment.get("payUrl").getAsString());
        assertFalse(payment.get("resumed").getAsBoolean());
        JsonObject again = startPayment(order, "alice");
        assertEquals(id, again.get("paymentId").getAsString(), "asking again: the same payment");
        assertTrue(again.get("resumed").getAsBoolean());
        assertEquals("pending", state(order), "started is not paid");

        HttpCall.Answer page = HttpCall.get(node.uri("/demo-pay/checkout?payment=" + id));
        assertEquals(200, page.status(), page::toString);
        assertTrue(page.contentType().startsWith("text/html"), page::contentType);
        assertTrue(page.body().contains("id=\"pay\"") && page.body().contains("id=\"cancel\""), "Pay and Cancel");
        HttpCall.Answer shown = HttpCall.get(node.uri("/demo-pay/payment?payment=" + id));
        assertEquals("started", shown.json().getAsJsonObject("data").get("state").getAsString(), shown::toString);

        HttpCall.Answer paid = HttpCall.send("POST", node.uri("/demo-pay/pay?payment=" + id));
        assertEquals(200, paid.status(), paid::toString);
        assertEquals("paid", paid.json().get("msg").getAsString());
        assertEquals("paid", state(order));
        HttpCall.Answer twice = HttpCall.send("POST", node.uri("/demo-pay/pay?payment=" + id));
        assertEquals(200, twice.status(), twice::toString);
        assertEquals("already_paid", twice.json().getAsJsonObject("data").get("outcome").getAsString(),
                "the provider's second event for the same payment pays nothing more");
        assertEquals("1", stockField(Keys.PAID), "paid once");
        assertEquals(1, events("paid"), "one paid event for the writer");
        HttpCall.Answer payAgain = HttpCall.send("POST", node.uri("/pay?order=" + order + "&user=alice"));
        assertEquals(409, payAgain.status(), payAgain::toString);
        assertEquals("already_paid", payAgain.json().get("error").getAsString());
        assertEquals("succeeded", HttpCall.get(node.uri("/demo-pay/payment?payment=" + id)).json()
                .getAsJsonObject("data").get("state").getAsString());
    }

    @Test
    void a_forged_replayed_late_or_mismatched_callback_changes_nothing() {
        startNode(Payments.SETTINGS);
        String order = buy("bob");
        String payment = startPayment(order, "bob").get("paymentId").getAsString();
        String event = Payments.eventId();
        String body = Payments.event(event, payment, order, 1000);
        var callback = node.uri("/pay/callback");
        Map<String, String> before = redisState();
        record Case(String what, String body, String signature, int status, String error) {
        }
        long now = nowSeconds();
        String otherSecret = new io.ticketrush.order.PaymentSignature("another-secret-0123456789".getBytes())
                .sign(now, body.getBytes());
        List<Case> refused = List.of(
                new Case("no signature", body, null, 401, "bad_signature"),
                new Case("signed with another secret", body, otherSecret, 401, "bad_signature"),
                new Case("the amount changed after signing", Payments.event(event, payment, order, 1),
                        Payments.sign(now, body), 401, "bad_signature"),
                new Case("t changed after signing", body, Payments.sign(now, body).replace("t=" + now, "t=" + (now + 1)),
                        401, "bad_signature"),
                new Case("not t=..,v1=..", body, "t=abc,v1=00", 401, "bad_signature"),
                // past the 300 s window either way, by more than this test can take
                new Case("signed 360 s ago", body, Payments.sign(now - 360, body), 400, "stale_event"),
                new Case("signed 360 s ahead", body, Payments.sign(now + 360, body), 400, "stale_event"),
                new Case("no such payment", Payments.event(event, payment.substring(0, payment.length() - 4) + "AAAA",
                        order, 1000), null, 400, "unknown_payment"),
                new Case("another amount", Payments.event(event, payment, order, 999), null, 400, "payment_mismatch"),
                new Case("another order", Payments.event(event, payment, order.substring(0, order.length() - 1)
                        + (order.endsWith("9") ? "8" : "9"), 1000), null, 400, "payment_mismatch"),
                new Case("not JSON", "{\"id\":", null, 400, "bad_request"),
                new Case("no amount", "{\"id\":\"" + event + "\",\"type\":\"payment.succeeded\",\"payment\":\""
                        + payment + "\",\"order\":\"" + order + "\"}", null, 400, "bad_request"),
                new Case("a body of 17 KB", body + " ".repeat(17 * 1024), null, 413, "too_large"));
        for (Case c : refused) {
            String signature = c.signature() != null || c.status() == 401 ? c.signature() : Payments.sign(now, c.body());
            HttpCall.Answer answer = Payments.callback(callback, c.body(), signature);
            assertEquals(c.status(), answer.status(), c.what() + " -> " + answer);
            assertEquals(c.error(), answer.json().get("error").getAsString(), c.what() + " -> " + answer);
            assertEquals(before, redisState(), c.what() + " changed Redis");
        }
        assertEquals("pending", state(order));

        String signature = Payments.sign(nowSeconds(), body);
        HttpCall.Answer first = Payments.callback(callback, body, signature);
        assertEquals(200, first.status(), first::toString);
        assertEquals("paid", first.json().get("msg").getAsString());
        assertFalse(first.json().getAsJsonObject("data").get("repeated").getAsBoolean());
        Map<String, String> paid = redisState();
        assertEquals("paid", state(order));
        HttpCall.Answer replayed = Payments.callback(callback, body, signature);
        assertEquals(200, replayed.status(), replayed::toString);
        assertEquals("paid", replayed.json().get("msg").getAsString(), "a replay is answered as the first time");
        assertTrue(replayed.json().getAsJsonObject("data").get("repeated").getAsBoolean());
        assertEquals(paid, redisState(), "a replay within the window changes nothing");
        HttpCall.Answer late = Payments.callback(callback, body, Payments.sign(nowSeconds() - 400, body));
        assertEquals(400, late.status(), late::toString);
        assertEquals(paid, redisState(), "a replay signed long ago changes nothing");
        assertEquals(1, events("paid"));
        assertEquals("1", stockField(Keys.PAID));
    }

    @Test
    void money_after_the_order_expired_is_a_refund_due_and_never_pays_it() {
        startNode(new HashMap<>(Map.of("rush.pay.secret", Payments.SECRET, "rush.pay.demo", "true",
                "rush.order.ttl.ms", "1500")));
        String order = buy("carol");
        String payment = startPayment(order, "carol").get("paymentId").getAsString();
        Deadline.await(Duration.ofSeconds(10), "carol's order to expire unpaid", () -> "expired".equals(state(order)));
        assertEquals(0, redis.sold(KEY), "its ticket went back");
        HttpCall.Answer late = HttpCall.send("POST", node.uri("/demo-pay/pay?payment=" + payment));
        assertEquals(200, late.status(), late::toString);
        assertEquals("refund_due", late.json().getAsJsonObject("data").get("outcome").getAsString(), late::toString);
        assertTrue(late.json().get("msg").getAsString().startsWith("refund due"), late::toString);
        assertEquals("expired", state(order), "money after the deadline never makes it paid");
        assertEquals("1", stockField(Keys.REFUNDS_DUE));
        assertEquals(null, stockField(Keys.PAID));
        assertEquals(0, redis.sold(KEY));
        assertEquals(1, events("refund_due"), "the writer hears of the refund due");
        assertEquals(0, events("paid"));
    }

    @Test
    void the_demo_provider_answers_only_when_turned_on() {
        startNode(Map.of("rush.pay.secret", Payments.SECRET));
        String order = buy("dave");
        JsonObject payment = startPayment(order, "dave");
        assertTrue(payment.get("payUrl").isJsonNull(), "no demo: the site's own provider makes the checkout");
        String id = payment.get("paymentId").getAsString();
        Map<String, String> before = redisState();
        for (String[] call : new String[][] {{"GET", "/demo-pay/checkout?payment=" + id},
            {"GET", "/demo-pay/payment?payment=" + id}, {"POST", "/demo-pay/pay?payment=" + id}, {"PUT", "/demo-pay/x"}}) {
            HttpCall.Answer answer = HttpCall.send(call[0], node.uri(call[1]));
            assertEquals(404, answer.status(), call[1] + " -> " + answer);
            assertEquals("not_found", answer.json().get("error").getAsString(), call[1] + " -> " + answer);
        }
        assertEquals(before, redisState());
        assertEquals("pending", state(order));
    }

    @Test
    void without_the_providers_secret_no_payment_starts_and_no_callback_is_believed() {
        startNode(Map.of("rush.pay.demo", "true"));
        String order = buy("erin");
        Map<String, String> before = redisState();
        HttpCall.Answer start = HttpCall.send("POST", node.uri("/pay?order=" + order + "&user=erin"));
        assertEquals(503, start.status(), start::toString);
        assertEquals("payments_off", start.json().get("error").getAsString());
        String body = Payments.event(Payments.eventId(), "pay.default.AAAAAAAAAAAAAAAAAAAAAA", order, 1000);
        HttpCall.Answer callback = Payments.callback(node.uri("/pay/callback"), body, Payments.sign(nowSeconds(), body));
        assertEquals(503, callback.status(), callback::toString);
        assertEquals(before, redisState());
    }
}
