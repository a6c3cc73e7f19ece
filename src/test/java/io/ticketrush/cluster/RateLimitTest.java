package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.StatLogFile;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Nginx's per-address rate limit ({@code limit_req} in nginx-conf/nginx.conf, its rate set by
 * render.sh's {@code --rate} as {@code RUSH_NGINX_RATE} sets it for ./rush) through real Nginx in
 * front of two nodes: a burst from one address past the limit is refused with a JSON 429, and a
 * refused request never reaches a node, so it sells nothing.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RateLimitTest {
    private static final String STOCK_KEY = "ticket_hash_key";
    /** Requests a second from one address, and as many at once (the burst set to the rate). */
    private static final int RATE = 2;
    private static final int BUYERS = 40;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private final List<EmbeddedNode> nodes = new ArrayList<>();
    private NginxServer nginx;
    private StatLogFile statLog;

    @BeforeEach
    void startCluster() {
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, 100);
        statLog = new StatLogFile(dir.resolve("stat.log"));
        Map<Integer, Integer> upstream = new LinkedHashMap<>();
        for (int weight = 1; weight <= 2; weight++) {
            EmbeddedNode node = EmbeddedNode.start(redis.asNode(Map.of("rush.redis.port", String.valueOf(redis.port()),
                    "rush.stock.key", STOCK_KEY, "rush.stock.total", "100", "rush.node.weight", String.valueOf(weight),
                    "rush.node.weights.total", "3", "rush.statlog", statLog.path().toString())));
            nodes.add(node);
            upstream.put(node.port(), weight);
        }
        // 127.0.0.1, where the test's buyers are, is a stranger here: only a documentation address is trusted
        nginx = NginxServer.start(upstream, List.of("--rate", String.valueOf(RATE), "--burst", String.valueOf(RATE),
                "--trusted", "192.0.2.1"));
        logs.watch("nginx", nginx::log);
    }

    @AfterEach
    void stopCluster() {
        if (nginx != null) {
            nginx.close();
        }
        nodes.forEach(EmbeddedNode::stop);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void a_burst_past_the_rate_limit_is_refused_with_a_json_429_and_sells_nothing_for_the_refused() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(BUYERS);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpCall.Answer>> sent = new ArrayList<>();
        long start;
        long end;
        List<HttpCall.Answer> answers = new ArrayList<>();
        try {
            for (int i = 0; i < BUYERS; i++) {
                String user = "burst" + i;
                sent.add(threads.submit(() -> {
                    go.await();
                    // sent exactly once: a client library's resend would be a request of its own
                    return HttpCall.getOnce(nginx.uri("/buy/ticket?user=" + user));
                }));
            }
            start = System.nanoTime();
            go.countDown();
            for (Future<HttpCall.Answer> answer : sent) {
                answers.add(answer.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS));
            }
            end = System.nanoTime();
        } finally {
            threads.shutdownNow();
        }

        Set<String> served = new TreeSet<>();
        int refused = 0;
        for (int i = 0; i < BUYERS; i++) {
            HttpCall.Answer answer = answers.get(i);
            if (answer.status() == 429) {
                refused++;
                assertTrue(answer.contentType().startsWith("application/json"), () -> "a JSON 429: " + answer);
                JsonObject body = answer.json();
                assertEquals("rate_limited", body.get("error").getAsString(), answer::toString);
                assertEquals(0, body.get("code").getAsInt(), answer::toString);
            } else {
                assertEquals(200, answer.status(), answer::toString);
                assertEquals(1, answer.code(), () -> "100 tickets for 40 buyers: " + answer);
                served.add("burst" + i);
            }
        }
        assertEquals(BUYERS, served.size() + refused);
        int refusedCount = refused;
        assertTrue(refused > 0, () -> "no 429 for " + BUYERS + " requests at once at " + RATE + "/s");

        // what was refused never reached a node: nothing sold, no order, no stat.log line for it
        assertEquals(served.size(), redis.sold(STOCK_KEY), "tickets sold == buyers served");
        Keys keys = Keys.ofDefault(STOCK_KEY);
        try (Jedis jedis = redis.client()) {
            assertEquals(served, new TreeSet<>(jedis.hkeys(keys.history())), "the buyers with an order are the served");
            assertEquals(served.size(), jedis.hlen(keys.orders()), "one order per buyer served");
            assertEquals(served.size(), jedis.xlen(keys.orderStream()), "one created event per order");
        }
        List<StatLogFile.Line> lines = statLog.awaitLines(served.size(), TimeScale.of(Duration.ofSeconds(10)));
        assertEquals(served.size(), lines.size(), "stat.log: a line per request that reached a node, and only those");
        Set<String> logged = new TreeSet<>();
        lines.forEach(line -> logged.add(line.field("user")));
        assertEquals(served, logged);

        // the limit is the configured one: RATE at once, then RATE a second for as long as the burst took
        long mostServed = RATE + (long) Math.ceil(RATE * (end - start) / 1e9);
        assertTrue(served.size() >= 1 && served.size() <= mostServed, () -> served.size() + " served, "
                + refusedCount + " refused; at least 1 and at most " + mostServed + " served (" + RATE + " at once, "
                + RATE + "/s over the burst)");
    }
}
