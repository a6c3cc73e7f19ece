package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.ticketrush.redis.keys.Keys;
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
        redis = RedisServer.start("--maxmemory-policy", "noeviction");
        redis.initStock(KEY, 100);
        node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.total", "100",
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
}
