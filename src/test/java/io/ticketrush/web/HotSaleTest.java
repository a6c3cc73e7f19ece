package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * One hot sale split into three buckets on a real Redis Cluster's three masters, sold by two real
 * nodes: every named buyer of the test belongs to bucket 0 (their bucket is chosen by their id),
 * so bucket 0 can sell them all only with the tickets the other buckets move to it; anonymous
 * buyers go wherever tickets are. Exact counts: every ticket sold once, none twice, one per named
 * buyer, nothing left unsold while someone still wanted one, no transfer left half done.
 */
class HotSaleTest {
    private static final String TOKEN = "hot-sale-test-admin-token";
    private static final int BUCKETS = 3;
    private static RedisClusterGroup group;
    private static EmbeddedNode a;
    private static EmbeddedNode b;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        group = RedisClusterGroup.start(3);
        dir = Files.createTempDirectory("rush-hot-");
        a = node("a");
        b = node("b");
    }

    private static EmbeddedNode node(String name) {
        Map<String, String> settings = new HashMap<>(group.settings());
        settings.putAll(Map.of("rush.node.weight", "1", "rush.node.weights.total", "2", "rush.statlog",
                dir.resolve(name + "-stat.log").toString(), "rush.admin.token", TOKEN, "rush.lock.wait.ms", "5000",
                "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000"));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.put("rush.admin.audit", dir.resolve(name + "-admin-audit.log").toString());
        return EmbeddedNode.start(settings);
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.stop();
        }
        if (b != null) {
            b.stop();
        }
        if (group != null) {
            group.close();
        }
        if (dir != null) {
            TempFiles.deleteRecursively(dir);
        }
    }

    /** Creates an open sale (buyers named by the request; signed buyers: SignedBuyersTest). */
    private static JsonObject create(String query) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(a.adminUri("/admin/sales?" + query + "&buyers=open"))
                .header("X-Admin-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, response.statusCode(), response.body());
        return new HttpCall.Answer(response.statusCode(), response.body(), "").json().getAsJsonObject("data");
    }

    private static String stockKey(String sale) {
        return Keys.of(sale, "ticket_hash_key").stock();
    }

    private static Map<String, String> stock(String sale) {
        try (Jedis jedis = group.connect(group.masterOf(stockKey(sale)))) {
            return jedis.hgetAll(stockKey(sale));
        }
    }

    /** A sale id from {@code prefix} whose buckets' keys lie on three different masters. */
    private static String spreadOverEveryMaster(String prefix) {
        for (int i = 0;; i++) {
            Set<Integer> masters = new HashSet<>();
            for (int b = 0; b < BUCKETS; b++) {
                masters.add(group.masterOf(stockKey(prefix + i + "--" + b)));
            }
            if (masters.size() == BUCKETS) {
                return prefix + i;
            }
        }
    }

    /** {@code count} user ids whose bucket of {@code buckets} is {@code bucket}. */
    private static List<String> usersOfBucket(String prefix, int bucket, int count) {
        List<String> users = new ArrayList<>();
        for (int i = 0; users.size() < count; i++) {
            String user = prefix + i;
            if (Math.floorMod(user.hashCode(), BUCKETS) == bucket) {
                users.add(user);
            }
        }
        return users;
    }

    @Test
    void a_hot_sale_in_three_buckets_sells_every_ticket_once_to_buyers_all_bound_to_one_bucket() throws Exception {
        String sale = spreadOverEveryMaster("HOT" + System.nanoTime() % 100_000 + "x");
        create("id=" + sale + "&stock=90&buckets=" + BUCKETS + "&name=hot");
        Set<Integer> masters = new HashSet<>();
        for (int i = 0; i < BUCKETS; i++) {
            masters.add(group.masterOf(stockKey(sale + "--" + i)));
            assertEquals("30", stock(sale + "--" + i).get(Keys.TOTAL), "bucket " + i + "'s share");
        }
        assertEquals(BUCKETS, masters.size(), "a bucket on each master");

        // 100 named buyers, every one of bucket 0 (30 tickets of its own), and 40 anonymous ones
        List<String> named = usersOfBucket("h" + sale, 0, 100);
        List<String> queries = new ArrayList<>();
        named.forEach(user -> queries.add("sale=" + sale + "&user=" + user));
        for (int i = 0; i < 40; i++) {
            queries.add("sale=" + sale);
        }
        Collections.shuffle(queries, new java.util.Random(7));
        Map<String, Integer> codes = new ConcurrentHashMap<>();
        Map<String, String> orderOf = new ConcurrentHashMap<>();
        Set<String> orders = ConcurrentHashMap.newKeySet();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < queries.size(); i++) {
                EmbeddedNode node = i % 2 == 0 ? a : b;
                String query = queries.get(i);
                done.add(threads.submit(() -> {
                    HttpCall.Answer answer = HttpCall.send("POST", node.uri("/buy/ticket?" + query));
                    if (answer.status() != 200) {
                        failures.add(answer.status() + " " + answer.body());
                        return;
                    }
                    int code = answer.json().get("code").getAsInt();
                    codes.merge(String.valueOf(code), 1, Integer::sum);
                    if (code == 1) {
                        String id = answer.json().getAsJsonObject("data").get("orderId").getAsString();
                        assertTrue(orders.add(id), "order " + id + " answered twice");
                        if (query.contains("user=")) {
                            assertEquals(null, orderOf.put(query, id), query + " got two tickets");
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(List.of(), failures, "every buyer answered");
        assertEquals(90, orders.size(), "every ticket sold, once: " + codes);
        assertEquals(50, codes.getOrDefault("-1", 0), "the others told sold out: " + codes);

        long sold = 0;
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            Map<String, String> bucket = stock(sale + "--" + i);
            sold += Long.parseLong(bucket.get(Keys.SOLD));
            total += Long.parseLong(bucket.get(Keys.TOTAL));
            assertEquals(bucket.get(Keys.TOTAL), bucket.get(Keys.SOLD), "bucket " + i + " sold out");
            try (Jedis jedis = group.connect(group.masterOf(stockKey(sale + "--" + i)))) {
                assertEquals(0, jedis.hlen(Keys.of(sale + "--" + i, "x").transfers()), "no transfer left half done");
            }
        }
        assertEquals(90, sold);
        assertEquals(90, total, "the buckets' totals add up to the sale's: no ticket made or lost by a move");
        assertTrue(Long.parseLong(stock(sale + "--0").get(Keys.SOLD)) >= 50,
                "bucket 0 sold at least its 100 named buyers' share beyond its own 30: tickets moved to it");

        // a named winner asking again gets the same order, on either node; the sale reads as sold out
        String winner = orderOf.keySet().iterator().next();
        JsonObject again = HttpCall.send("POST", b.uri("/buy/ticket?" + winner)).json();
        assertEquals(orderOf.get(winner), again.getAsJsonObject("data").get("orderId").getAsString(), again::toString);
        JsonObject late = HttpCall.send("POST", a.uri("/buy/ticket?sale=" + sale + "&user=late1")).json();
        assertEquals(-1, late.get("code").getAsInt(), late::toString);
        // a bucket is not for sale by its own id: a named buyer could hold a ticket in two buckets
        HttpCall.Answer direct = HttpCall.send("POST", a.uri("/buy/ticket?sale=" + sale + "--1&user=direct1"));
        assertEquals(404, direct.status(), direct::toString);
        HttpCall.Answer sales = HttpCall.get(a.uri("/sales"));
        assertTrue(sales.body().contains(sale), sales.body());
    }

    @Test
    void a_hot_sale_that_does_not_divide_gives_the_first_buckets_one_more() throws Exception {
        String sale = "ODD" + System.nanoTime() % 100_000;
        create("id=" + sale + "&stock=10&buckets=" + BUCKETS);
        assertEquals(List.of("4", "3", "3"), List.of(stock(sale + "--0").get(Keys.TOTAL),
                stock(sale + "--1").get(Keys.TOTAL), stock(sale + "--2").get(Keys.TOTAL)));
        assertEquals("10", stock(sale).get(Keys.TOTAL));
        assertEquals(String.valueOf(BUCKETS), stock(sale).get(Keys.BUCKETS));
    }
}
