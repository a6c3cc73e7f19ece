package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Many sales on two real nodes while they run: created through the admin endpoint, opening at
 * their moments on Redis's clock, sold at once, closed mid-sale; exact counts per sale.
 */
class SalesTest {
    private static final String TOKEN = "sales-test-admin-token";
    private RedisServer redis;
    private EmbeddedNode a;
    private EmbeddedNode b;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        dir = Files.createTempDirectory("rush-sales-");
        a = node("a", Map.of());
        b = node("b", Map.of());
    }

    private EmbeddedNode node(String name, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.node.weight", "1", "rush.node.weights.total", "2", "rush.statlog",
                dir.resolve(name + "-stat.log").toString(), "rush.admin.token", TOKEN, "rush.lock.wait.ms", "5000",
                "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000", EmbeddedNode.ADMIN_PORT,
                String.valueOf(FreePort.find()), "rush.admin.audit", dir.resolve(name + "-admin-audit.log").toString())));
        settings.putAll(extra);
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private static HttpCall.Answer admin(EmbeddedNode node, String action) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.adminUri("/admin/" + action)).header("X-Admin-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    /** Creates an open sale (buyers named by the request; signed buyers: SignedBuyersTest). */
    private static JsonObject create(EmbeddedNode node, String query) throws Exception {
        HttpCall.Answer answer = admin(node, "sales?" + query + "&buyers=open");
        assertEquals(201, answer.status(), answer::toString);
        return answer.json().getAsJsonObject("data");
    }

    private static JsonObject buy(EmbeddedNode node, String query) {
        HttpCall.Answer answer = HttpCall.send("POST", node.uri("/buy/ticket?" + query));
        assertEquals(200, answer.status(), answer::toString);
        return answer.json();
    }

    private long sold(String sale) {
        try (Jedis jedis = redis.client()) {
            String sold = jedis.hget(Keys.of(sale, "ticket_hash_key").stock(), Keys.SOLD);
            return sold == null ? 0 : Long.parseLong(sold);
        }
    }

    /** {@code seconds} stretched by {@link TimeScale}, for a moment given as {@code +SECONDS}. */
    private static long seconds(long seconds) {
        return (TimeScale.ms(seconds * 1000) + 999) / 1000;
    }

    /** Redis's clock now, in ms: the sales' clock. */
    /** The state of sale {@code id} as {@code node} tells it by its own clock ({@code /sales}). */
    private static String stateOf(EmbeddedNode node, String id) throws Exception {
        JsonArray sales = HttpCall.get(node.uri("/sales")).json().getAsJsonObject("data").getAsJsonArray("sales");
        for (JsonElement sale : sales) {
            if (id.equals(sale.getAsJsonObject().get("id").getAsString())) {
                return sale.getAsJsonObject().get("state").getAsString();
            }
        }
        throw new AssertionError("no sale " + id + " in " + node.uri("/sales"));
    }

    private long redisNow() {
        try (Jedis jedis = redis.client()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        }
    }

    @Test
    void two_sales_opening_at_different_moments_sell_at_once_to_distinct_buyers_with_exact_counts()
            throws Exception {
        create(a, "id=G1&stock=40&name=Beijing-Shanghai");
        JsonObject later = create(b, "id=G2&stock=30&opens=%2B" + seconds(2) + "&name=Shanghai-Beijing");
        long opensAt = later.get("opensAt").getAsLong();
        assertEquals("upcoming", later.get("state").getAsString());

        // before G2 opens: G1 sells, G2 says when it opens and sells nothing, on either node
        for (EmbeddedNode node : new EmbeddedNode[] {a, b}) {
            JsonObject early = buy(node, "sale=G2&user=early-" + node.port());
            assertEquals(-2, early.get("code").getAsInt(), early::toString);
            assertEquals("not open yet", early.get("msg").getAsString());
            assertEquals(opensAt, early.getAsJsonObject("data").get("opensAt").getAsLong());
        }
        assertEquals(0, sold("G2"));
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "G2 to open on Redis's clock", () -> redisNow() >= opensAt);

        // 200 distinct buyers, half on each train, through both nodes at once
        Map<String, Set<String>> ticketsOf = new ConcurrentHashMap<>();
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<?>> buys = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String sale = i % 2 == 0 ? "G1" : "G2";
                EmbeddedNode node = i % 4 < 2 ? a : b;
                String user = "u" + i;
                buys.add(pool.submit(() -> {
                    JsonObject answer = buy(node, "sale=" + sale + "&user=" + user);
                    answers.merge(sale + " " + answer.get("code").getAsInt(), 1, Integer::sum);
                    if (answer.get("code").getAsInt() == 1) {
                        assertEquals(sale, answer.getAsJsonObject("data").get("sale").getAsString());
                        ticketsOf.computeIfAbsent(sale, s -> ConcurrentHashMap.newKeySet())
                                .add(answer.getAsJsonObject("data").get("orderId").getAsString());
                    }
                }));
            }
            for (Future<?> buy : buys) {
                buy.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Map.of("G1 1", 40, "G1 -1", 60, "G2 1", 30, "G2 -1", 70), answers);
        assertEquals(40, sold("G1"));
        assertEquals(30, sold("G2"));
        assertEquals(40, ticketsOf.get("G1").size(), "40 distinct orders of G1");
        assertEquals(30, ticketsOf.get("G2").size(), "30 distinct orders of G2");
        Set<String> all = new HashSet<>(ticketsOf.get("G1"));
        all.addAll(ticketsOf.get("G2"));
        assertEquals(70, all.size(), "no order id shared by the two sales");
        assertEquals(0, sold(Sale.DEFAULT), "the article's sale is untouched");

        JsonArray sales = HttpCall.get(a.uri("/sales")).json().getAsJsonObject("data").getAsJsonArray("sales");
        Map<String, String> states = new HashMap<>();
        for (JsonElement sale : sales) {
            states.put(sale.getAsJsonObject().get("id").getAsString(), sale.getAsJsonObject().get("state").getAsString());
        }
        assertEquals(Map.of("default", "open", "G1", "sold_out", "G2", "sold_out"), states);
    }

    /**
     * A node whose clock runs a minute ahead believes G3 is open; Redis's clock, which the buy
     * script reads, does not: nothing is sold before the opening.
     */
    @Test
    void a_node_whose_clock_runs_ahead_never_sells_before_the_opening() throws Exception {
        EmbeddedNode ahead = node("ahead", Map.of("rush.clock.skew.ms", "60000"));
        try {
            JsonObject sale = create(a, "id=G3&stock=5&opens=%2B" + seconds(30));
            long opensAt = sale.get("opensAt").getAsLong();
            assertEquals("open", stateOf(ahead, "G3"), "the node a minute ahead believes G3 is open");
            assertEquals("upcoming", stateOf(a, "G3"), "a node on Redis's clock does not");
            for (int i = 0; i < 20; i++) {
                JsonObject answer = buy(ahead, "sale=G3&user=hasty" + i);
                assertEquals(-2, answer.get("code").getAsInt(), answer::toString);
                assertEquals(opensAt, answer.getAsJsonObject("data").get("opensAt").getAsLong());
            }
            assertEquals(0, sold("G3"), "nothing sold before the opening");
            assertTrue(redisNow() < opensAt, "the sale was still upcoming on Redis's clock all along");
        } finally {
            ahead.stop();
        }
    }

    @Test
    void the_limit_is_per_user_and_per_sale_so_a_user_may_buy_on_two_trains() throws Exception {
        create(a, "id=T1&stock=10");
        create(a, "id=T2&stock=10&limit=2");
        JsonObject first = buy(a, "sale=T1&user=zoe");
        assertEquals(1, first.get("code").getAsInt());
        JsonObject again = buy(b, "sale=T1&user=zoe");
        assertEquals(true, again.getAsJsonObject("data").get("existing").getAsBoolean(), "one per user on T1");
        assertEquals(first.getAsJsonObject("data").get("orderId"), again.getAsJsonObject("data").get("orderId"));
        assertEquals(1, buy(b, "sale=T2&user=zoe").get("code").getAsInt(), "another train");
        JsonObject second = buy(a, "sale=T2&user=zoe");
        assertEquals(false, second.getAsJsonObject("data").get("existing").getAsBoolean(), "T2 allows two");
        assertEquals(true, buy(a, "sale=T2&user=zoe").getAsJsonObject("data").get("existing").getAsBoolean());
        assertEquals(1, sold("T1"));
        assertEquals(2, sold("T2"));
        JsonArray orders = HttpCall.get(b.uri("/orders?user=zoe")).json().getAsJsonObject("data")
                .getAsJsonArray("orders");
        List<String> salesOfOrders = new ArrayList<>();
        orders.forEach(o -> salesOfOrders.add(o.getAsJsonObject().get("sale").getAsString()));
        assertEquals(List.of("T1", "T2", "T2"), salesOfOrders, "her orders carry their sales");
    }

    @Test
    void a_sale_closed_mid_sale_sells_nothing_more_on_any_node() throws Exception {
        create(a, "id=C1&stock=100");
        for (int i = 0; i < 10; i++) {
            assertEquals(1, buy(i % 2 == 0 ? a : b, "sale=C1&user=c" + i).get("code").getAsInt());
        }
        HttpCall.Answer closed = admin(a, "sales/close?id=C1");
        assertEquals(200, closed.status(), closed::toString);
        assertEquals("closed", closed.json().getAsJsonObject("data").get("state").getAsString());
        long closesAt = closed.json().getAsJsonObject("data").get("closesAt").getAsLong();
        // B has not reread the sales: its buy goes to Redis, which refuses it; the answer says when
        // the sale closed all the same
        for (EmbeddedNode node : new EmbeddedNode[] {a, b}) {
            for (int i = 0; i < 2; i++) {
                JsonObject late = buy(node, "sale=C1&user=late-" + node.port() + "-" + i);
                assertEquals(-3, late.get("code").getAsInt(), late::toString);
                assertEquals("closed", late.get("msg").getAsString());
                assertTrue(late.getAsJsonObject("data").get("closesAt").isJsonPrimitive(),
                        () -> "a closed answer names the closing: " + late);
                assertEquals(closesAt, late.getAsJsonObject("data").get("closesAt").getAsLong(), late::toString);
            }
        }
        assertEquals(10, sold("C1"));
    }

    /**
     * A sale created with a closing moment ({@code ./rush sale create ID --closes +SECONDS}) sells
     * until then and nothing after, on every node: on A and B, which judge the moment from memory,
     * and on a node whose clock runs a minute behind, which believes the sale still open and asks
     * Redis, whose clock decides.
     */
    @Test
    void a_sale_closing_at_its_closes_moment_answers_closed_and_sells_nothing_after_it() throws Exception {
        EmbeddedNode behind = node("behind", Map.of("rush.clock.skew.ms", "-60000"));
        try {
            JsonObject sale = create(a, "id=E1&stock=100&closes=%2B" + seconds(3));
            long closesAt = sale.get("closesAt").getAsLong();
            EmbeddedNode[] nodes = {a, b, behind};
            String[] names = {"A", "B", "the node a minute behind"};
            for (EmbeddedNode node : nodes) {
                JsonObject early = buy(node, "sale=E1&user=early-" + node.port());
                assertEquals(1, early.get("code").getAsInt(), early::toString);
            }
            assertTrue(redisNow() < closesAt, "the three tickets were sold before the closing, on Redis's clock");
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "E1 to close on Redis's clock",
                    () -> redisNow() >= closesAt);
            for (int n = 0; n < nodes.length; n++) {
                EmbeddedNode node = nodes[n];
                String name = names[n];
                for (int i = 0; i < 5; i++) {
                    JsonObject late = buy(node, "sale=E1&user=late-" + node.port() + "-" + i);
                    assertEquals(-3, late.get("code").getAsInt(), () -> name + " after the closing: " + late);
                    assertEquals("closed", late.get("msg").getAsString());
                    assertEquals(closesAt, late.getAsJsonObject("data").get("closesAt").getAsLong(), late::toString);
                }
            }
            assertEquals(3, sold("E1"), "nothing sold after the closing");
            Keys keys = Keys.of("E1", "ticket_hash_key");
            try (Jedis jedis = redis.client()) {
                assertEquals(3, jedis.hlen(keys.orders()), "no order after the closing");
                assertEquals(3, jedis.xlen(keys.orderStream()), "no order event after the closing");
            }
            JsonArray sales = HttpCall.get(b.uri("/sales")).json().getAsJsonObject("data").getAsJsonArray("sales");
            for (JsonElement listed : sales) {
                if ("E1".equals(listed.getAsJsonObject().get("id").getAsString())) {
                    assertEquals("closed", listed.getAsJsonObject().get("state").getAsString());
                }
            }
        } finally {
            behind.stop();
        }
    }

    @Test
    void the_admin_refuses_a_sale_twice_bad_values_and_no_token_and_an_unknown_sale_is_a_404() throws Exception {
        create(a, "id=D1&stock=5");
        HttpCall.Answer twice = admin(b, "sales?id=D1&stock=9");
        assertEquals(409, twice.status(), twice::toString);
        assertTrue(twice.json().get("msg").getAsString().contains("cannot be created twice"));
        for (String bad : new String[] {"id=D2&stock=-1", "id=D%2B2&stock=5", "id=default&stock=5", "id=D3",
            "id=D4&stock=5&opens=tomorrow", "id=D5&stock=5&opens=%2B60&closes=%2B30", "id=D6&stock=5&limit=0",
            "id=D8&stock=5&buyers=anyone"}) {
            HttpCall.Answer refused = admin(a, "sales?" + bad);
            assertEquals(400, refused.status(), () -> bad + ": " + refused);
        }
        HttpRequest noToken = HttpRequest.newBuilder(a.adminUri("/admin/sales?id=D7&stock=5"))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        assertEquals(403, HttpClient.newHttpClient().send(noToken, HttpResponse.BodyHandlers.ofString()).statusCode());
        HttpCall.Answer unknown = HttpCall.send("POST", a.uri("/buy/ticket?sale=NOPE"));
        assertEquals(404, unknown.status());
        assertEquals("unknown_sale", unknown.json().get("error").getAsString());
        try (Jedis jedis = redis.client()) {
            assertEquals(Set.of("D1"), jedis.smembers(Keys.sales()), "only D1 was created");
        }
    }

    /** 1,000 sales created while the nodes run: listed, each sells, none needs a restart. */
    @Test
    void a_thousand_sales_created_while_the_nodes_run_are_listed_and_sold() {
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get))) {
            for (int i = 0; i < 1000; i++) {
                store.admin().create(new Sale("K" + i, "train " + i, 2, 0, 0, 1, 300_000, 0));
            }
        }
        JsonArray sales = HttpCall.get(b.uri("/sales")).json().getAsJsonObject("data").getAsJsonArray("sales");
        assertEquals(1001, sales.size());
        for (int i = 0; i < 1000; i += 37) {
            assertEquals(1, buy(i % 2 == 0 ? a : b, "sale=K" + i + "&user=k").get("code").getAsInt(), "K" + i);
            assertEquals(1, sold("K" + i));
        }
        assertNull(HttpCall.get(a.uri("/stock?sale=K999")).json().getAsJsonObject("data").getAsJsonObject("local")
                .get("orders"), "a sale nobody bought from on this node keeps nothing of its orders");
    }

}
