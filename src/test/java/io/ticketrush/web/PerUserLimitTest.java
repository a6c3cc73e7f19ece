package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * A per-user limit above one under concurrency: many requests of the same users at once, released
 * by a latch over two nodes (so they queue on each node's lock and share its Redis calls), each
 * user's requests with request ids of their own. Each user gets exactly the limit: that many
 * tickets, that many orders, and every other request told of one of them.
 */
class PerUserLimitTest {
    private static final String TOKEN = "per-user-limit-test-token";
    private static final String SALE = "L3";
    private static final int LIMIT = 3;
    private static final int REQUESTS_PER_USER = 40;
    private static final List<String> USERS = List.of("hoarder", "collector");

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private EmbeddedNode a;
    private EmbeddedNode b;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        a = node("a");
        b = node("b");
        HttpRequest create = HttpRequest.newBuilder(a.adminUri("/admin/sales?id=" + SALE + "&stock=100&limit=" + LIMIT
                + "&buyers=open"))
                .header("X-Admin-Token", TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> created = HttpClient.newHttpClient().send(create, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created::body);
    }

    private EmbeddedNode node(String name) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.node.weight", "1",
                "rush.node.weights.total", "2", "rush.statlog", dir.resolve(name + "-stat.log").toString(),
                "rush.admin.token", TOKEN, "rush.lock.wait.ms", "5000", "rush.redis.timeout.ms", "2000",
                "rush.redis.pool.wait.ms", "2000", "rush.admin.audit", dir.resolve(name + "-audit.log").toString())));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
        redis.close();
    }

    @Test
    void each_user_gets_exactly_the_limit_of_tickets_however_many_requests_come_at_once() throws Exception {
        int requests = USERS.size() * REQUESTS_PER_USER;
        ExecutorService threads = Executors.newFixedThreadPool(requests);
        CountDownLatch ready = new CountDownLatch(requests);
        CountDownLatch go = new CountDownLatch(1);
        Map<String, List<Future<HttpCall.Answer>>> sent = new HashMap<>();
        try {
            for (int i = 0; i < REQUESTS_PER_USER; i++) {
                for (String user : USERS) {
                    EmbeddedNode node = i % 2 == 0 ? a : b;
                    String query = "sale=" + SALE + "&user=" + user + "&rid=" + user + "-" + i;
                    sent.computeIfAbsent(user, u -> new ArrayList<>()).add(threads.submit(() -> {
                        ready.countDown();
                        go.await();
                        return HttpCall.send("POST", node.uri("/buy/ticket?" + query));
                    }));
                }
            }
            assertTrue(ready.await(TimeScale.ms(30_000), TimeUnit.MILLISECONDS), "every request ready to go");
            go.countDown();
            Map<String, List<HttpCall.Answer>> answers = new HashMap<>();
            for (Map.Entry<String, List<Future<HttpCall.Answer>>> user : sent.entrySet()) {
                for (Future<HttpCall.Answer> answer : user.getValue()) {
                    answers.computeIfAbsent(user.getKey(), u -> new ArrayList<>())
                            .add(answer.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS));
                }
            }
            checkEachUserGotTheLimit(answers);
        } finally {
            threads.shutdownNow();
        }
    }

    private void checkEachUserGotTheLimit(Map<String, List<HttpCall.Answer>> answers) {
        Keys keys = Keys.of(SALE, "ticket_hash_key");
        for (String user : USERS) {
            Set<String> newOrders = new TreeSet<>();
            Set<String> told = new TreeSet<>();
            for (HttpCall.Answer answer : answers.get(user)) {
                assertEquals(200, answer.status(), () -> user + ": " + answer);
                JsonObject body = answer.json();
                assertEquals(1, body.get("code").getAsInt(), () -> user + ": a ticket or one already held: " + answer);
                JsonObject data = body.getAsJsonObject("data");
                assertEquals(user, data.get("user").getAsString());
                String order = data.get("orderId").getAsString();
                if (data.get("existing").getAsBoolean()) {
                    told.add(order);
                } else {
                    assertTrue(newOrders.add(order), () -> user + ": order " + order + " answered new twice");
                }
            }
            assertEquals(LIMIT, newOrders.size(), () -> user + ": exactly the limit of new tickets: " + newOrders);
            assertTrue(newOrders.containsAll(told), () -> user + ": every other request is told of one of the "
                    + LIMIT + ": " + told + " of " + newOrders);
            try (Jedis jedis = redis.client()) {
                Set<String> history = new TreeSet<>(List.of(jedis.hget(keys.history(), user).split(",")));
                assertEquals(newOrders, history, user + ": the orders Redis holds for the user are the new ones");
                Set<String> held = new TreeSet<>(List.of(jedis.hget(keys.holders(), user).split(",")));
                assertEquals(newOrders, held, user + ": and the user holds each of them");
            }
        }
        int tickets = USERS.size() * LIMIT;
        assertEquals(tickets, redis.sold(keys.stock()), "tickets sold: the limit per user");
        try (Jedis jedis = redis.client()) {
            assertEquals(tickets, jedis.hlen(keys.orders()), "one order per ticket");
            assertEquals(tickets, jedis.xlen(keys.orderStream()), "one created event per order");
            assertEquals(String.valueOf(tickets), jedis.hget(keys.stock(), Keys.SEQ), "order numbers used");
        }
    }
}
