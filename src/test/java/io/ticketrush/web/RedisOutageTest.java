package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import com.google.gson.JsonObject;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A node whose Redis goes away and comes back: 503s, never "sold out", nothing lost, selling again. */
class RedisOutageTest {
    private static final String KEY = "ticket_hash_key";
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
        redis.initStock(KEY, 10);
        dir = Files.createTempDirectory("rush-outage-");
        node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.total", "10",
                "rush.node.weight", "10", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.sync.ms", "100", "rush.breaker.open.ms", "200")));
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private JsonObject local() {
        return HttpCall.get(node.uri("/stock")).json().getAsJsonObject("data").getAsJsonObject("local");
    }

    @Test
    void redis_down_answers_503_keeps_the_local_stock_and_sells_again_when_redis_returns() {
        for (int i = 0; i < 2; i++) {
            assertEquals(1, HttpCall.get(node.uri("/buy/ticket?user=early" + i)).code());
        }
        redis.stop();
        for (int i = 0; i < 20; i++) {
            HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=during" + i));
            assertEquals(503, answer.status(), answer.toString());
            assertEquals("unavailable", answer.json().get("error").getAsString());
            assertTrue(answer.json().get("msg").getAsString().startsWith("busy, try again"));
        }
        JsonObject stock = HttpCall.get(node.uri("/stock")).json().getAsJsonObject("data");
        assertTrue(stock.get("global").isJsonNull(), "no global figure while Redis is away");
        assertEquals(2, local().get("sold").getAsInt(), "every local ticket taken during the outage was given back");
        assertEquals(8, local().get("remaining").getAsInt());

        redis.restart();
        Deadline.await(Duration.ofSeconds(5), "the node to sell again after Redis returns",
                () -> HttpCall.get(node.uri("/buy/ticket?user=after0")).code() == 1);
        int tickets = 1;
        for (int i = 1; i < 20; i++) {
            HttpCall.Answer answer = HttpCall.get(node.uri("/buy/ticket?user=after" + i));
            assertEquals(200, answer.status(), answer.toString());
            if (answer.code() == 1) {
                tickets++;
            }
        }
        assertEquals(8, tickets, "exactly the 8 tickets left were sold after the outage");
        assertEquals(10, redis.sold(KEY));
    }
}
