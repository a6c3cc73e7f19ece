package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.JsonObject;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.CapturedLog;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisConf;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Redis at its memory limit (maxmemory, noeviction, as redis-conf/render.sh writes it): it refuses
 * writes, a buy answers 503 and sells nothing, and selling resumes once there is room again.
 */
class RedisMemoryTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = Keys.ofDefault(KEY);
    /** The test Redis's maxmemory, and the limit its node is told: 64 MiB. */
    private static final long LIMIT = 64L * 1024 * 1024;
    /** A node reads Redis's memory once a second; its dashboard answer is up to a second old. */
    private static final Duration READ = TimeScale.of(Duration.ofSeconds(10));
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        dir = Files.createTempDirectory("rush-memory-");
        // the policy ./rush runs Redis with
        String conf = RedisConf.write(dir.resolve("single.conf"), "single", List.of("--port", "6379", "--bind",
                "127.0.0.1", "--dir", dir.toString(), "--logfile", "redis.log", "--maxmemory", "64mb"));
        RedisConf.require(conf, "maxmemory 64mb");
        RedisConf.require(conf, "maxmemory-policy noeviction");
        redis = RedisServer.start("--maxmemory", String.valueOf(LIMIT), "--maxmemory-policy", "noeviction");
        redis.initStock(KEY, 100);
        // the limit as ./rush up passes it to the nodes (the maxmemory render.sh gave Redis)
        node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.total", "100",
                "rush.redis.maxmemory.bytes", String.valueOf(LIMIT),
                "rush.node.weight", "1", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.sync.ms", "100", "rush.breaker.open.ms", "200")));
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private void maxmemory(String bytes) {
        try (Jedis jedis = redis.client()) {
            jedis.configSet("maxmemory", bytes);
        }
    }

    private long orders() {
        try (Jedis jedis = redis.client()) {
            return jedis.xlen(KEYS.orderStream());
        }
    }

    @Test
    void a_buy_redis_refuses_for_memory_answers_503_sells_nothing_and_selling_resumes_when_there_is_room() {
        for (int i = 0; i < 5; i++) {
            assertEquals(1, HttpCall.get(node.uri("/buy/ticket?user=before" + i)).code());
        }
        maxmemory("1"); // full: every write refused (OOM)
        for (int i = 0; i < 20; i++) {
            HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=full" + i + "&rid=r" + i));
            assertEquals(503, answer.status(), answer.toString());
            assertEquals("unavailable", answer.json().get("error").getAsString(), answer.toString());
        }
        assertEquals(5, redis.sold(KEY), "nothing sold while Redis was full");
        assertEquals(5, orders(), "no order made while Redis was full");

        maxmemory("0"); // room again
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the node to sell again once Redis has room",
                () -> HttpCall.get(node.uri("/buy/ticket?user=after0")).code() == 1);
        int tickets = 1;
        for (int i = 1; i < 20; i++) {
            HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=after" + i));
            assertEquals(200, answer.status(), answer.toString());
            assertEquals(1, answer.code(), answer.toString());
            tickets++;
        }
        assertEquals(20, tickets);
        assertEquals(25, redis.sold(KEY), "sold == the tickets answered");
        assertEquals(25, orders(), "orders == sold");
        // a request refused while Redis was full bought nothing: asked again, it buys now
        HttpCall.Answer retried = HttpCall.get(node.uri("/buy/ticket?user=full0&rid=r0"));
        assertEquals(1, retried.code(), retried.toString());
        assertTrue(!retried.json().getAsJsonObject("data").has("existing")
                || !retried.json().getAsJsonObject("data").get("existing").getAsBoolean(), retried.toString());
        assertEquals(26, redis.sold(KEY));
    }
    @Test
    void a_write_refused_for_memory_is_logged_as_memory_not_as_unreachable_and_does_not_open_the_breaker() {
        // a breaker that one failure opens for a minute: had the refusals counted, no buy would sell after them
        node.stop();
        node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.total", "100", "rush.node.weight", "1",
                "rush.statlog", dir.resolve("stat.log").toString(), "rush.sync.ms", "100",
                "rush.breaker.failures", "1", "rush.breaker.open.ms", "60000")));
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket?user=before")).code());
        maxmemory("1"); // full: every write refused (OOM)
        try (CapturedLog log = CapturedLog.of(JsonServlet.class)) {
            for (int i = 0; i < 10; i++) {
                HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=full" + i));
                assertEquals(503, answer.status(), answer.toString());
                assertEquals("unavailable", answer.json().get("error").getAsString(), answer.toString());
                assertEquals("busy, try again: the ticket store is full for now", answer.json().get("msg").getAsString(),
                        answer.toString());
            }
            assertEquals(10, log.count("ticket store out of memory (Redis refuses writes past its maxmemory"),
                    "each refusal logged as memory:\n" + log);
            assertEquals(10, log.count("OOM command not allowed"), "with Redis's own words:\n" + log);
            assertEquals(0, log.count("unreachable"), "none as unreachable:\n" + log);
        }
        assertEquals(1, redis.sold(KEY), "nothing sold while Redis was full");
        assertEquals(1, orders(), "no order made while Redis was full");

        maxmemory("0"); // room again: the very next buy sells (an open breaker would refuse it for a minute)
        for (int i = 0; i < 10; i++) {
            HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=after" + i));
            assertEquals(1, answer.code(), answer.toString());
        }
        assertEquals(11, redis.sold(KEY), "sold == the tickets answered");
        assertEquals(11, orders(), "orders == sold");
    }

    /** The bytes Redis has allocated, as the test's admin reads them (MEMORY STATS, as the node does). */
    private long allocated() {
        try (Jedis jedis = redis.client()) {
            return (Long) jedis.memoryStats().get("total.allocated");
        }
    }

    private static double sample(String text, String name) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        if (!line.find()) {
            throw new AssertionError("no sample " + name + " in:\n" + text);
        }
        return Double.parseDouble(line.group(1));
    }

    private double metric(String name) {
        HttpCall.Answer answer = HttpCall.get(node.uri("/metrics"));
        assertEquals(200, answer.status(), answer.toString());
        return sample(answer.body(), name);
    }

    private JsonObject memoryOnDashboard() {
        HttpCall.Answer answer = HttpCall.get(node.uri("/dashboard/data"));
        assertEquals(200, answer.status(), answer.toString());
        return answer.json().getAsJsonObject("data").getAsJsonObject("redisMemory");
    }

    @Test
    void metrics_show_redis_memory_against_its_limit_and_the_use_rises_by_what_was_written() {
        assertEquals((double) LIMIT, metric("rush_redis_memory_limit_bytes"), "the limit, exactly as given");
        Deadline.await(READ, "the node to have read Redis's memory", () -> !Double.isNaN(metric(
                "rush_redis_memory_used_bytes")));
        double before = metric("rush_redis_memory_used_bytes");
        assertTrue(before > 0 && before < LIMIT, "used before: " + before);
        // 4 MiB written (the value alone; Redis allocates at least that for it)
        long written = 4L * 1024 * 1024;
        try (Jedis jedis = redis.client()) {
            assertEquals("OK", jedis.set("memory_test_fill".getBytes(), new byte[(int) written]));
        }
        Deadline.await(READ, "rush_redis_memory_used_bytes to rise by at least the " + written + " bytes written",
                () -> metric("rush_redis_memory_used_bytes") >= before + written);
        assertEquals((double) LIMIT, metric("rush_redis_memory_limit_bytes"));
    }

    @Test
    void the_dashboard_warns_from_80_percent_of_the_limit_and_not_below() {
        JsonObject memory = memoryOnDashboard();
        assertEquals(LIMIT, memory.get("limitBytes").getAsLong(), memory.toString());
        assertEquals(0.8, memory.get("warningShare").getAsDouble(), memory.toString());
        // filled in steps of 256 KiB (a value that fits its allocation: no rounding up past the step)
        int step = 256 * 1024 - 64;
        // to 75% (the filling client's query buffer, freed when it closes, makes it a little less after)
        int filled = fill(0, step, LIMIT * 3 / 4);
        JsonObject atBelow = awaitMemory("the dashboard to show the use past 70% of the limit",
                m -> !m.get("usedBytes").isJsonNull() && m.get("usedBytes").getAsLong() * 100 >= LIMIT * 70);
        assertTrue(atBelow.get("usedBytes").getAsLong() * 100 < LIMIT * 80, atBelow.toString());
        assertFalse(atBelow.get("warning").getAsBoolean(), "no warning below 80%: " + atBelow);

        fill(filled, step, LIMIT * 81 / 100);
        JsonObject at80 = awaitMemory("the dashboard to show the use at 80% of the limit",
                m -> m.get("usedBytes").getAsLong() * 100 >= LIMIT * 80);
        assertTrue(at80.get("warning").getAsBoolean(), "a warning from 80%: " + at80);
        assertTrue(at80.get("share").getAsDouble() >= 0.8, at80.toString());
    }

    /** Writes values of {@code step} bytes from number {@code from} on until Redis has allocated {@code until}. */
    private int fill(int from, int step, long until) {
        int i = from;
        try (Jedis jedis = redis.client()) {
            while ((Long) jedis.memoryStats().get("total.allocated") < until) {
                assertEquals("OK", jedis.set(("memory_test_fill_" + i++).getBytes(), new byte[step]));
            }
        }
        return i;
    }

    private JsonObject awaitMemory(String what, java.util.function.Predicate<JsonObject> done) {
        JsonObject[] last = new JsonObject[1];
        Deadline.await(READ, what, () -> done.test(last[0] = memoryOnDashboard()));
        return last[0];
    }
}
