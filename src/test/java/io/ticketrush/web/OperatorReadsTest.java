package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * The operator endpoints on a real node and a real Redis: {@code /stock} and {@code /dashboard/data}
 * cost Redis at most one read a second each however many ask, and read on connections of their own,
 * so they answer while every buyer's connection is taken, and never take one.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class OperatorReadsTest {
    private static final String KEY = "ticket_hash_key";
    private static final int TOTAL = 100;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private EmbeddedNode node;

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
        redis.initStock(KEY, TOTAL);
    }

    private EmbeddedNode node(Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.redis.port", String.valueOf(redis.port()),
                "rush.stock.key", KEY,
                "rush.stock.total", String.valueOf(TOTAL),
                "rush.statlog", dir.resolve("stat.log").toString())));
        settings.putAll(more);
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void stock_and_dashboard_data_read_redis_at_most_once_a_second_however_many_ask() throws Exception {
        node = node(Map.of());
        int callers = 32;
        int perCaller = 20;
        long before = node.app().redis().operatorRoundTrips();
        // the node's own read of Redis's memory, once a second on the same connections: counted apart
        long memoryBefore = node.app().redis().memoryRoundTrips();
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<HttpCall.Answer>>> sent = new ArrayList<>();
        long start;
        long end;
        List<HttpCall.Answer> answers = new ArrayList<>();
        try {
            for (int i = 0; i < callers; i++) {
                String path = i % 2 == 0 ? "/stock" : "/dashboard/data";
                sent.add(threads.submit(() -> {
                    go.await();
                    List<HttpCall.Answer> mine = new ArrayList<>();
                    for (int n = 0; n < perCaller; n++) {
                        mine.add(HttpCall.get(node.uri(path)));
                    }
                    return mine;
                }));
            }
            start = System.nanoTime();
            go.countDown();
            for (Future<List<HttpCall.Answer>> mine : sent) {
                answers.addAll(mine.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS));
            }
            end = System.nanoTime();
        } finally {
            threads.shutdownNow();
        }
        long memoryReads = node.app().redis().memoryRoundTrips() - memoryBefore;
        long reads = node.app().redis().operatorRoundTrips() - before - memoryReads;

        assertEquals(callers * perCaller, answers.size());
        for (HttpCall.Answer answer : answers) {
            assertEquals(200, answer.status(), answer::toString);
            assertEquals(TOTAL, answer.json().getAsJsonObject("data").getAsJsonObject("global").get("total")
                    .getAsLong(), answer::toString);
        }
        // reads a second or more apart: within T seconds at most floor(T) + 1 of them, per endpoint
        long seconds = TimeUnit.NANOSECONDS.toSeconds(end - start);
        long most = 2 * (seconds + 1);
        assertTrue(reads >= 2 && reads <= most, () -> answers.size() + " requests in " + (end - start) / 1_000_000
                + " ms read Redis " + reads + " times; at least once and at most once a second per endpoint: "
                + most);
        assertTrue(memoryReads <= seconds + 2, () -> "Redis's memory read " + memoryReads + " times in "
                + (end - start) / 1_000_000 + " ms: once a second");
    }

    @Test
    void operator_reads_answer_while_every_buyer_connection_is_taken_and_take_none() throws Exception {
        // one buyers' connection, held by a call that Redis holds back (CLIENT PAUSE ... WRITE)
        node = node(Map.of("rush.redis.pool.size", "1", "rush.redis.pool.wait.ms", "100",
                "rush.redis.timeout.ms", String.valueOf(TimeScale.ms(20_000))));
        CompletableFuture<HttpCall.Answer> buy;
        try (Jedis admin = redis.client()) {
            admin.clientPause(TimeScale.ms(15_000), ClientPauseMode.WRITE);
            try {
                buy = CompletableFuture.supplyAsync(() -> HttpCall.send("POST", node.uri("/buy/ticket?user=ann")));
                Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the buyers' one connection to be held back",
                        () -> heldBack(admin) == 1);

                HttpCall.Answer stock = HttpCall.get(node.uri("/stock"));
                assertEquals(200, stock.status(), stock::toString);
                JsonObject global = stock.json().getAsJsonObject("data").getAsJsonObject("global");
                assertEquals(TOTAL, global.get("total").getAsLong(), stock::toString);
                HttpCall.Answer dashboard = HttpCall.get(node.uri("/dashboard/data"));
                assertEquals(200, dashboard.status(), dashboard::toString);
                assertEquals(TOTAL, dashboard.json().getAsJsonObject("data").getAsJsonObject("global").get("total")
                        .getAsLong(), dashboard::toString);
                assertEquals(1, heldBack(admin), "the buyers' connection was held all along");
            } finally {
                admin.clientUnpause();
            }
        }
        HttpCall.Answer bought = buy.get(TimeScale.ms(30_000), TimeUnit.MILLISECONDS);
        // whatever the held call was (the buy, or the node's own report), the buy's answer holds
        assertTrue(bought.status() == 200 || bought.status() == 503, bought::toString);
        long tickets = bought.code() != null && bought.code() == 1 ? 1 : 0;
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "Redis sold == tickets answered (" + tickets + ")",
                () -> redis.sold(KEY) == tickets);
    }

    /** Connections of the buyers' pool that Redis holds back now ("ticket-rush", flag b). */
    private static long heldBack(Jedis admin) {
        return admin.clientList().lines().filter(line -> line.contains(" name=ticket-rush ")
                && line.matches(".* flags=[A-Za-z]*b[A-Za-z]* .*")).count();
    }
}
