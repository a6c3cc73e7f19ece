package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.StatLogFile;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Orders through one real node over HTTP: buyers, retries, paying (through the demo provider), expiring, bad input. */
class NodeOrdersTest {
    private static final String KEY = "ticket_hash_key";
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;
    private StatLogFile statLog;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        dir = Files.createTempDirectory("rush-node-orders-");
        statLog = new StatLogFile(dir.resolve("stat.log"));
    }

    private void startNode(int total, Map<String, String> extra) {
        redis.initStock(KEY, total);
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000", "rush.lock.wait.ms", "5000", "rush.stock.total",
                String.valueOf(total), "rush.node.weight", "10", "rush.statlog", statLog.path().toString(),
                "rush.sync.ms", "100", "rush.sweep.ms", "100")));
        settings.putAll(Payments.SETTINGS);
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

    private URI uri(String path) {
        return node.uri(path);
    }

    private static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    @Test
    void distinct_users_and_their_repeats_get_exactly_one_order_each_until_the_stock_is_gone() throws Exception {
        int stock = 150;
        int users = 200;
        int repeats = 3;
        startNode(stock, Map.of());
        List<String> requests = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            for (int u = 0; u < users; u++) {
                requests.add("user-" + u);
            }
        }
        Collections.shuffle(requests, new java.util.Random(42));
        Map<String, List<HttpCall.Answer>> answers = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService clients = Executors.newFixedThreadPool(64);
        var http = HttpCall.newClient();
        for (int c = 0; c < 64; c++) {
            clients.execute(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = next.getAndIncrement(); i < requests.size(); i = next.getAndIncrement()) {
                    String user = requests.get(i);
                    HttpCall.Answer answer = HttpCall.send(http, "POST", uri("/buy/ticket?user=" + user));
                    answers.computeIfAbsent(user, k -> Collections.synchronizedList(new ArrayList<>())).add(answer);
                }
            });
        }
        go.countDown();
        clients.shutdown();
        assertTrue(clients.awaitTermination(TimeScale.ms(60_000), TimeUnit.MILLISECONDS),
                "all requests answered within " + TimeScale.ms(60_000) + " ms");

        Set<String> orderIds = new HashSet<>();
        int buyersWithOrder = 0;
        for (Map.Entry<String, List<HttpCall.Answer>> entry : answers.entrySet()) {
            List<HttpCall.Answer> mine = entry.getValue();
            assertEquals(repeats, mine.size());
            Set<String> ids = new HashSet<>();
            int soldOut = 0;
            for (HttpCall.Answer answer : mine) {
                assertEquals(200, answer.status(), answer.toString());
                if (answer.code() == 1) {
                    ids.add(answer.json().getAsJsonObject("data").get("orderId").getAsString());
                } else {
                    assertEquals(-1, answer.code(), answer.toString());
                    soldOut++;
                }
            }
            assertTrue(ids.size() <= 1, entry.getKey() + " got more than one order: " + ids);
            if (ids.size() == 1) {
                buyersWithOrder++;
                assertEquals(0, soldOut, entry.getKey() + " has an order, so every answer must show it");
                assertTrue(orderIds.add(ids.iterator().next()), "an order id was given to two users");
            }
        }
        assertEquals(Math.min(stock, users), buyersWithOrder);
        assertEquals(stock, redis.sold(KEY));
        try (Jedis jedis = redis.client()) {
            assertEquals(String.valueOf(stock), jedis.hget(KEY, Keys.SEQ), "orders created == stock");
            assertEquals(stock, jedis.xlen(Keys.ofDefault(KEY).orderStream()), "one created event per order");
        }
        List<StatLogFile.Line> lines = statLog.awaitLines(users * repeats, TimeScale.of(Duration.ofSeconds(10)));
        assertEquals(stock, lines.stream().filter(l -> l.result() == 1 && l.field("existing") == null).count(),
                "stat.log: one new-ticket line per order");
        assertTrue(lines.stream().allMatch(l -> l.field("user") != null), "stat.log lines carry the user");
    }

    @Test
    void a_buyer_pays_before_the_deadline_and_sees_the_order_paid() {
        startNode(5, Map.of());
        JsonObject ticket = HttpCall.send("POST", uri("/buy/ticket?user=alice")).json();
        assertEquals(1, ticket.get("code").getAsInt());
        String id = ticket.getAsJsonObject("data").get("orderId").getAsString();
        JsonObject order = HttpCall.get(uri("/order?id=" + id)).json().getAsJsonObject("data");
        assertEquals("pending", order.get("state").getAsString());
        assertTrue(order.get("msLeftToPay").getAsLong() > 250_000, "five minutes to pay by default");
        HttpCall.Answer started = HttpCall.send("POST", uri("/pay?order=" + id + "&user=alice"));
        assertEquals(202, started.status(), started.toString());
        assertEquals("pending", HttpCall.get(uri("/order?id=" + id)).json().getAsJsonObject("data").get("state")
                .getAsString(), "a payment started is not a payment made");
        HttpCall.Answer paid = HttpCall.send("POST", uri("/demo-pay/pay?payment="
                + started.json().getAsJsonObject("data").get("paymentId").getAsString()));
        assertEquals(200, paid.status(), paid.toString());
        assertEquals("paid", paid.json().getAsJsonObject("data").getAsJsonObject("order").get("state").getAsString());
        var orders = HttpCall.get(uri("/orders?user=alice")).json().getAsJsonObject("data").getAsJsonArray("orders");
        assertEquals(1, orders.size());
        assertEquals("paid", orders.get(0).getAsJsonObject().get("state").getAsString());
    }

    /** How long after Redis shows an expired order's ticket back a node may still answer "sold out". */
    private static final Duration RETURNED_TICKET_NOTICED = TimeScale.of(Duration.ofMillis(200));

    @Test
    void an_unpaid_order_expires_and_its_ticket_is_sold_to_the_next_buyer_on_the_first_try() throws Exception {
        // The periodic stock sync would notice the returned ticket too, but only every rush.sync.ms
        // (1 s by default, during which the ticket is answered "sold out"). Here it runs far less
        // often than the bound, so only the node hearing of the expiry itself can pass.
        startNode(1, Map.of("rush.order.ttl.ms", "300", "rush.sync.ms", "60000"));
        JsonObject first = HttpCall.send("POST", uri("/buy/ticket?user=slow")).json();
        assertEquals(1, first.get("code").getAsInt());
        String id = first.getAsJsonObject("data").get("orderId").getAsString();
        assertEquals(-1, HttpCall.send("POST", uri("/buy/ticket?user=eager")).code());
        // the expiry returns the ticket in the same script that marks the order expired
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "Redis to show the unpaid order's ticket returned",
                () -> redis.sold(KEY) == 0);
        long returned = System.nanoTime();
        // in order, not after a sleep: the node has read the expiry off the order stream, within the
        // stated bound of Redis showing the ticket back; then the next buyer gets it at the first try
        Deadline.await(Duration.ofNanos(Math.max(0, returned + RETURNED_TICKET_NOTICED.toNanos() - System.nanoTime())),
                "the node to read the expiry off the order stream within " + RETURNED_TICKET_NOTICED.toMillis()
                        + " ms of Redis showing the ticket back", this::orderStreamReadToItsEnd);
        assertEquals("expired", HttpCall.get(uri("/order?id=" + id)).json().getAsJsonObject("data").get("state")
                .getAsString());
        HttpCall.Answer next = HttpCall.send("POST", uri("/buy/ticket?user=eager"));
        assertEquals(1, next.code(), () -> "a buy once the node read the expiry gets the ticket on the first try;"
                + " got " + next);
        assertEquals(1, redis.sold(KEY));
        HttpCall.Answer late = HttpCall.send("POST", uri("/pay?order=" + id + "&user=slow"));
        assertEquals(409, late.status());
        assertEquals("order_expired", late.json().get("error").getAsString());
    }

    /**
     * The node's reader of the order stream is blocked in XREAD: it has read every entry there is
     * (Redis answers a read at once while there is more), and it tells the node of what it read
     * before it reads again. The node's only XREAD: the order writer, which is not running here,
     * reads with XREADGROUP.
     */
    private boolean orderStreamReadToItsEnd() {
        try (Jedis jedis = redis.client()) {
            return jedis.clientList().lines().anyMatch(line -> line.contains(" cmd=xread ")
                    && line.matches(".* flags=[A-Za-z]*b[A-Za-z]* .*"));
        }
    }

    @Test
    void without_anonymous_mode_a_user_is_required() {
        startNode(5, Map.of("rush.anonymous", "false"));
        HttpCall.Answer answer = HttpCall.get(uri("/buy/ticket"));
        assertEquals(400, answer.status());
        assertEquals("user is required", answer.json().get("msg").getAsString());
        assertEquals(0, redis.sold(KEY));
    }

    /** Everything in Redis that a request could change. */
    private Map<String, Object> redisState() {
        try (Jedis jedis = redis.client()) {
            Map<String, Object> state = new HashMap<>();
            state.put("dbsize", jedis.dbSize());
            state.put("stock", jedis.hgetAll(KEY));
            Keys keys = Keys.ofDefault(KEY);
            state.put("events", jedis.exists(keys.orderStream()) ? jedis.xlen(keys.orderStream()) : 0);
            state.put("seq", jedis.hget(keys.stock(), Keys.SEQ));
            return state;
        }
    }

    @Test
    void bad_input_gets_a_clear_json_error_and_changes_nothing() {
        // long enough for the payer to pay on a loaded machine, short enough to wait out for the sleeper
        startNode(5, Map.of("rush.order.ttl.ms", String.valueOf(TimeScale.ms(3000))));
        String paidId = HttpCall.send("POST", uri("/buy/ticket?user=payer")).json().getAsJsonObject("data")
                .get("orderId").getAsString();
        assertEquals(200, Payments.payOverHttp(this::uri, paidId, null).status());
        String expiredId = HttpCall.send("POST", uri("/buy/ticket?user=sleeper")).json().getAsJsonObject("data")
                .get("orderId").getAsString();
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "sleeper's order to expire",
                () -> "expired".equals(HttpCall.get(uri("/order?id=" + expiredId)).json().getAsJsonObject("data")
                        .get("state").getAsString()));
        Map<String, Object> before = redisState();
        record Case(String method, String path, int status, String error) {
        }
        List<Case> cases = List.of(
                new Case("GET", "/buy/ticket?user=" + "x".repeat(65), 400, "bad_request"),
                new Case("GET", "/buy/ticket?user=" + q("a b"), 400, "bad_request"),
                new Case("GET", "/buy/ticket?user=" + q("ü"), 400, "bad_request"),
                new Case("GET", "/buy/ticket?user=" + q("<script>"), 400, "bad_request"),
                new Case("GET", "/buy/ticket?user=a&user=b", 400, "bad_request"),
                new Case("GET", "/buy/ticket?user=ok&rid=" + q("r/1"), 400, "bad_request"),
                new Case("PUT", "/buy/ticket?user=ok", 405, "method_not_allowed"),
                new Case("DELETE", "/buy/ticket", 405, "method_not_allowed"),
                new Case("GET", "/order", 400, "bad_request"),
                new Case("GET", "/order?id=abc", 400, "bad_request"),
                new Case("GET", "/order?id=-1", 400, "bad_request"),
                new Case("GET", "/order?id=99999999999999999999", 400, "bad_request"),
                new Case("GET", "/order?id=424242", 404, "unknown_order"),
                new Case("GET", "/orders", 400, "bad_request"),
                new Case("GET", "/orders?user=" + "y".repeat(100), 400, "bad_request"),
                new Case("GET", "/pay?order=" + paidId, 405, "method_not_allowed"),
                new Case("POST", "/pay", 400, "bad_request"),
                new Case("POST", "/pay?order=1.5", 400, "bad_request"),
                new Case("POST", "/pay?order=424242", 404, "unknown_order"),
                new Case("POST", "/pay?order=" + paidId, 409, "already_paid"),
                new Case("POST", "/pay?order=" + paidId + "&user=someoneelse", 403, "not_your_order"),
                new Case("POST", "/pay?order=" + expiredId, 409, "order_expired"),
                new Case("POST", "/pay?order=" + paidId + "&order=" + expiredId, 400, "bad_request"),
                new Case("GET", "/no/such/thing", 404, "not_found"));
        for (Case c : cases) {
            HttpCall.Answer answer = HttpCall.send(c.method(), uri(c.path()));
            assertEquals(c.status(), answer.status(), c + " -> " + answer);
            assertTrue(answer.contentType().startsWith("application/json"), c + " -> " + answer);
            JsonObject json = answer.json();
            assertEquals(0, json.get("code").getAsInt(), c + " -> " + answer);
            assertEquals(c.error(), json.get("error").getAsString(), c + " -> " + answer);
            assertFalse(json.get("msg").getAsString().isBlank());
            assertFalse(answer.body().contains("Exception"), answer.body());
            assertEquals(before, redisState(), c + " changed Redis");
        }
        assertNotNull(before.get("seq"));
    }
}
