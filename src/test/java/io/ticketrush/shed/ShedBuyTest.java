package io.ticketrush.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * A node's bound on buyers in flight ({@code rush.shed.limit}), over real HTTP and a real Redis:
 * Redis holds every write back ({@code CLIENT PAUSE WRITE}), so the buyers the node admitted stay
 * in flight, and exactly those over the bound are answered at once with a JSON 503 {@code busy} and
 * {@code Retry-After}, while Redis still holds the others (an answer that needed Redis could not
 * come yet), and sell nothing; once the held buyers are answered, buys succeed again.
 */
class ShedBuyTest extends ShedTestBase {
    private static final String KEY = "ticket_hash_key";
    private static final int STOCK = 100;

    @Override
    Map<String, String> nodeSettings() {
        redis.initStock(KEY, STOCK);
        return Map.of("rush.stock.total", String.valueOf(STOCK), "rush.node.weight", "10",
                "rush.node.weights.total", "10", "rush.lock.wait.ms", "60000");
    }

    private CompletableFuture<Answer> buy(String user) {
        return send(HttpRequest.newBuilder(node.uri("/buy/ticket?user=" + user))
                .POST(HttpRequest.BodyPublishers.noBody()));
    }

    /** The users holding an order that was not voided, from Redis. */
    private Set<String> buyersWithOrders() {
        try (Jedis jedis = redis.client()) {
            return RedisOrders.all(jedis, Keys.ofDefault(KEY)).stream().filter(o -> !"voided".equals(o.get(Keys.STATE)))
                    .map(o -> o.get(Keys.USER)).collect(Collectors.toSet());
        }
    }

    @Test
    void over_the_bound_exactly_the_excess_is_shed_at_once_sells_nothing_and_buys_succeed_once_load_drops()
            throws Exception {
        NodeAdmission admission = node.app().admission();
        // a port-0 node's first buy publishes the node's stats (a Redis write) on its way in, and the
        // sale's first buy sets its seller up: have both done before Redis holds the writes back
        assertTrue(answer(buy("first")).ticket());
        Map<String, CompletableFuture<Answer>> sent = new LinkedHashMap<>();
        try (Jedis admin = redis.client()) {
            admin.clientPause(TimeScale.ms(30_000), ClientPauseMode.WRITE);
            try {
                for (int i = 0; i < BOUND + EXCESS; i++) {
                    sent.put("buyer" + i, buy("buyer" + i));
                }
                // which requests the node admits first is the network's choice: count by answer
                Deadline.await(TimeScale.of(Duration.ofSeconds(20)), EXCESS + " buyers answered while Redis holds "
                        + BOUND + " in flight", () -> sent.values().stream().filter(CompletableFuture::isDone).count()
                                == EXCESS && admission.inFlight() == BOUND);
                List<Answer> shed = new ArrayList<>();
                for (CompletableFuture<Answer> f : sent.values()) {
                    if (f.isDone()) {
                        shed.add(answer(f));
                    }
                }
                assertEquals(EXCESS, shed.size());
                assertShed(shed, "a buyer");
                assertEquals(BOUND, admission.inFlight(), "the bound's buyers are still held by Redis");
                assertEquals(EXCESS, metric("rush_buy_shed_total"), "/metrics counts each shed buyer");
                assertEquals(EXCESS, metric("rush_shed_total{paths=\"buy\"}"), "under the buy bound's paths");
                assertEquals(0, metric("rush_shed_total{paths=\"orders\"}"), "a bound of their own, untouched");
                assertEquals(0, metric("rush_shed_total{paths=\"room\"}"), "a bound of their own, untouched");
                assertEquals(BOUND, metric("rush_admission_in_flight{paths=\"buy\"}"));
                assertEquals(BOUND, metric("rush_admission_limit{paths=\"buy\"}"));
                assertEquals(1, redis.sold(KEY), "nothing more sold while Redis holds the writes");
            } finally {
                admin.clientUnpause();
            }
        }
        Set<String> ticketed = new HashSet<>(Set.of("first"));
        Set<String> shed = new HashSet<>();
        for (Map.Entry<String, CompletableFuture<Answer>> e : sent.entrySet()) {
            Answer a = answer(e.getValue());
            if (a.ticket()) {
                ticketed.add(e.getKey());
            } else {
                assertTrue(a.shed(), a::toString);
                shed.add(e.getKey());
            }
        }
        assertEquals(1 + BOUND, ticketed.size(), "every admitted buyer got a ticket once Redis let the writes through");
        assertEquals(EXCESS, shed.size());
        assertEquals(1 + BOUND, redis.sold(KEY), "Redis sold == the tickets answered: the shed ones sold nothing");
        assertEquals(ticketed, buyersWithOrders(), "an order for each ticket answered, none for a shed buyer");

        // the load dropped: every place is back, and a bound's worth of buyers at once all buy
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "every place given back", () -> admission.inFlight() == 0);
        Map<String, CompletableFuture<Answer>> later = new LinkedHashMap<>();
        for (int i = 0; i < BOUND; i++) {
            later.put("later" + i, buy("later" + i));
        }
        for (Map.Entry<String, CompletableFuture<Answer>> e : later.entrySet()) {
            Answer a = answer(e.getValue());
            assertTrue(a.ticket(), () -> "after the load, a buy succeeds again: " + a);
            assertNull(a.retryAfter(), a::toString);
            ticketed.add(e.getKey());
        }
        assertEquals(1 + 2 * BOUND, redis.sold(KEY));
        assertEquals(ticketed, buyersWithOrders(), "Redis sold == orders == tickets answered");
        assertEquals(EXCESS, metric("rush_buy_shed_total"), "no buyer shed once the load dropped");
        assertEquals(0, metric("rush_admission_in_flight{paths=\"buy\"}"));
        assertEquals(BOUND, metric("rush_admission_limit{paths=\"buy\"}"));
        assertEquals(EXCESS, admission.shed());
    }

    private HttpCall.Answer admin(String pathAndQuery) throws Exception {
        HttpResponse<String> r = HttpCall.newClient().send(HttpRequest.newBuilder(node.adminUri(pathAndQuery))
                .header("X-Admin-Token", ADMIN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void an_operator_sees_and_changes_the_bound_while_the_node_runs() throws Exception {
        HttpCall.Answer shown = admin("/admin/shed");
        assertEquals(200, shown.status(), shown::toString);
        assertEquals(BOUND, shown.json().getAsJsonObject("data").get("limit").getAsInt(), shown::toString);

        HttpCall.Answer changed = admin("/admin/shed?limit=1");
        assertEquals(200, changed.status(), changed::toString);
        assertEquals(1, changed.json().getAsJsonObject("data").get("limit").getAsInt(), changed::toString);
        assertEquals(1, metric("rush_admission_limit{paths=\"buy\"}"), "in force at once");
        assertEquals(1, metric("rush_admission_limit{paths=\"room\"}"), "for every group of paths");
        assertEquals(1, metric("rush_admission_limit{paths=\"orders\"}"), "for every group of paths");

        HttpCall.Answer refused = admin("/admin/shed?limit=-1");
        assertEquals(400, refused.status(), refused::toString);
        assertTrue(refused.body().contains("rush.shed.limit"), refused::toString);
        assertEquals(1, metric("rush_admission_limit{paths=\"buy\"}"), "a refused change changes nothing");

        assertEquals(0, admin("/admin/shed?limit=0").json().getAsJsonObject("data").get("limit").getAsInt());
        assertEquals(0, metric("rush_admission_limit{paths=\"buy\"}"), "0: no bound");
        assertTrue(answer(buy("after-change")).ticket());
    }
}
