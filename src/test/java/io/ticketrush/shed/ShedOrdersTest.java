package io.ticketrush.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * The order paths ({@code /pay}, {@code /order/cancel}, {@code /order}, {@code /orders}) under a
 * node's bound of their own ({@code rush.shed.limit}), over real HTTP and a real Redis, as
 * {@link ShedBuyTest} for buys: Redis holds every write back ({@code CLIENT PAUSE WRITE}), so the
 * payments the node admitted stay in flight, and exactly those over the bound, and an order read,
 * a list and a cancel meanwhile, are answered at once with a JSON 503 {@code busy} and
 * {@code Retry-After}: no payment started for a shed payer, no order changed; {@code /metrics}
 * shows the bound, the requests in flight and the shed ones by group of paths.
 */
class ShedOrdersTest extends ShedTestBase {
    private static final String KEY = "ticket_hash_key";
    private static final int STOCK = 100;

    private OctetSequenceKey key;

    @Override
    Map<String, String> nodeSettings() throws IOException {
        redis.initStock(KEY, STOCK);
        key = TestTokens.secret("k1");
        Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
        Map<String, String> settings = new HashMap<>(Map.of("rush.stock.total", String.valueOf(STOCK),
                "rush.node.weight", "10", "rush.node.weights.total", "10", "rush.auth.keys.file", keys.toString()));
        settings.putAll(Payments.SETTINGS);
        return settings;
    }

    private CompletableFuture<Answer> send(String method, String path, String user) {
        return send(HttpRequest.newBuilder(node.uri(path)).method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + TestTokens.hs256(key, user)));
    }

    /** Buys a ticket as {@code user}; its order's id. */
    private String buy(String user) throws Exception {
        Answer bought = answer(send("POST", "/buy/ticket", user));
        assertEquals(200, bought.status(), bought::toString);
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        return bought.json().getAsJsonObject("data").get("orderId").getAsString();
    }

    /** The orders a payment was started for, from Redis. */
    private Set<String> ordersWithPayments() {
        try (Jedis jedis = redis.client()) {
            return jedis.hkeys(Keys.ofDefault(KEY).orderPayments());
        }
    }

    private long payments() {
        try (Jedis jedis = redis.client()) {
            return jedis.hlen(Keys.ofDefault(KEY).payments());
        }
    }

    private String state(String order) {
        try (Jedis jedis = redis.client()) {
            return RedisOrders.one(jedis, Keys.ofDefault(KEY), order).get(Keys.STATE);
        }
    }

    @Test
    void over_the_bound_exactly_the_excess_order_requests_are_shed_at_once_and_start_or_change_nothing()
            throws Exception {
        NodeAdmission orders = node.app().orderAdmission();
        Map<String, String> orderOf = new LinkedHashMap<>();
        for (int i = 0; i < BOUND + EXCESS; i++) {
            orderOf.put("payer" + i, buy("payer" + i));
        }
        String kept = buy("keeper");
        Map<String, CompletableFuture<Answer>> sent = new LinkedHashMap<>();
        List<Answer> shed = new ArrayList<>();
        try (Jedis admin = redis.client()) {
            admin.clientPause(TimeScale.ms(30_000), ClientPauseMode.WRITE);
            try {
                orderOf.forEach((user, order) -> sent.put(user, send("POST", "/pay?order=" + order, user)));
                // which requests the node admits first is the network's choice: count by answer
                Deadline.await(TimeScale.of(Duration.ofSeconds(20)), EXCESS + " payers answered while Redis holds "
                        + BOUND + " in flight", () -> sent.values().stream().filter(CompletableFuture::isDone).count()
                                == EXCESS && orders.inFlight() == BOUND);
                for (CompletableFuture<Answer> f : sent.values()) {
                    if (f.isDone()) {
                        shed.add(answer(f));
                    }
                }
                assertEquals(EXCESS, shed.size());
                // a read, a list and a cancel need Redis too: each one more than the bound holds
                shed.add(answer(send("GET", "/order?id=" + kept, "keeper")));
                shed.add(answer(send("GET", "/orders", "keeper")));
                shed.add(answer(send("POST", "/order/cancel?id=" + kept, "keeper")));
                assertShed(shed, "an order request");
                assertEquals(BOUND, orders.inFlight(), "the bound's payments are still held by Redis");
                assertEquals(EXCESS + 3, orders.shed());
                assertEquals(EXCESS + 3, metric("rush_shed_total{paths=\"orders\"}"), "/metrics counts each one shed");
                assertEquals(BOUND, metric("rush_admission_in_flight{paths=\"orders\"}"));
                assertEquals(BOUND, metric("rush_admission_limit{paths=\"orders\"}"));
                assertEquals(0, metric("rush_shed_total{paths=\"buy\"}"), "buys have a bound of their own");
                assertEquals(0, metric("rush_admission_in_flight{paths=\"buy\"}"));
                assertEquals(0, metric("rush_shed_total{paths=\"room\"}"));
            } finally {
                admin.clientUnpause();
            }
        }
        Set<String> started = new HashSet<>();
        Set<String> shedPayers = new HashSet<>();
        for (Map.Entry<String, CompletableFuture<Answer>> e : sent.entrySet()) {
            Answer a = answer(e.getValue());
            if (a.status() == 202) {
                started.add(orderOf.get(e.getKey()));
            } else {
                assertTrue(a.shed(), a::toString);
                shedPayers.add(e.getKey());
            }
        }
        assertEquals(BOUND, started.size(), "every payment within the bound started once Redis let the writes through");
        assertEquals(started, ordersWithPayments(), "a payment for each one answered 202, none for a shed payer");
        assertEquals(BOUND, payments());
        assertEquals("pending", state(kept), "the shed cancel changed nothing");

        // the load dropped: every place is back, and a shed payer, asking again, pays
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "every place given back", () -> orders.inFlight() == 0);
        String again = shedPayers.iterator().next();
        Answer paid = answer(send("POST", "/pay?order=" + orderOf.get(again), again));
        assertEquals(202, paid.status(), () -> "after the load, a payment starts again: " + paid);
        assertEquals(BOUND + 1, payments());
        Answer read = answer(send("GET", "/order?id=" + kept, "keeper"));
        assertEquals(200, read.status(), read::toString);
        assertEquals(EXCESS + 3, metric("rush_shed_total{paths=\"orders\"}"), "nobody shed once the load dropped");
        assertEquals(0, metric("rush_admission_in_flight{paths=\"orders\"}"));
    }
}
