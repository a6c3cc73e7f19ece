package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Two nodes of one sale, after the stock is gone: what a node that answers "sold out" from memory
 * still owes the buyers who come back, and what it costs Redis. Node A and node B each hold one of
 * the two tickets; each node's stock sync (and expiry sweep) is slowed to once a minute, so only
 * the order stream can tell a node that a ticket came back, and only buys reach Redis.
 */
class SoldOutNodesTest {
    private static final String KEY = "ticket_hash_key";
    private RedisServer redis;
    private EmbeddedNode a;
    private EmbeddedNode b;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock(KEY, 2);
        dir = Files.createTempDirectory("rush-sold-out-");
        a = node("a", Map.of());
        b = node("b", Map.of());
    }

    private EmbeddedNode node(String name, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.stock.total", "2", "rush.node.weight", "1", "rush.node.weights.total", "2",
                "rush.stock.buffer", "0", "rush.statlog", dir.resolve(name + "-stat.log").toString(),
                "rush.sync.ms", "60000", "rush.sweep.ms", "60000", "rush.order.ttl.ms", "600000")));
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

    private static JsonObject buy(EmbeddedNode node, String query) {
        HttpCall.Answer answer = HttpCall.send("POST", node.uri("/buy/ticket" + query));
        assertEquals(200, answer.status(), answer::toString);
        return answer.json();
    }

    /** Both tickets sold (one on each node, the last by {@code lastQuery} on A) and B knows it is sold out. */
    private JsonObject sellOut(String lastQuery) {
        assertEquals(1, buy(b, "?user=bea").get("code").getAsInt());
        JsonObject last = buy(a, lastQuery);
        assertEquals(1, last.get("code").getAsInt(), last::toString);
        assertEquals(-1, buy(b, "?user=loser0").get("code").getAsInt(), "B asked Redis once and heard: sold out");
        return last;
    }

    /**
     * Node A took the last ticket for request R and (say) died before answering; Nginx retries R on
     * node B, which knows the sale is sold out. B answered "sold out" from memory before; it must
     * answer R with its order.
     */
    @Test
    void a_request_retried_on_a_sold_out_node_gets_the_order_it_bought_on_another() {
        JsonObject won = sellOut("?rid=nginx-req-7");
        String order = won.getAsJsonObject("data").get("orderId").getAsString();

        JsonObject retried = buy(b, "?rid=nginx-req-7");
        assertEquals(1, retried.get("code").getAsInt(), retried::toString);
        assertEquals(order, retried.getAsJsonObject("data").get("orderId").getAsString());
        assertEquals(true, retried.getAsJsonObject("data").get("existing").getAsBoolean());
        assertEquals(-1, buy(b, "?rid=nginx-req-8").get("code").getAsInt(), "another request is sold out");
        assertEquals(2, redis.sold(KEY));
    }

    /**
     * Losers on a sold-out node, named or carrying request ids, cost Redis nothing (I8), once the
     * node has read the sale's orders (it starts when it sees the sale sold out).
     */
    @Test
    void losers_named_or_anonymous_are_answered_from_memory_without_a_redis_command() {
        sellOut("?user=ann");
        assertEquals(-1, buy(a, "?user=loser-a").get("code").getAsInt(), "A asked Redis once and heard: sold out");
        for (EmbeddedNode node : new EmbeddedNode[] {a, b}) {
            Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "node " + node.port() + " to have read the sale's orders",
                    () -> HttpCall.get(node.uri("/stock")).json().getAsJsonObject("data").getAsJsonObject("local")
                            .getAsJsonObject("orders").get("caughtUp").getAsBoolean());
        }
        Map<String, Long> before = commandCalls();
        for (int i = 0; i < 100; i++) {
            assertEquals(-1, buy(b, "?user=loser" + (i + 1)).get("code").getAsInt());
            assertEquals(-1, buy(b, "?rid=anon-" + i).get("code").getAsInt());
            assertEquals(-1, buy(a, "?user=late" + i + "&rid=r" + i).get("code").getAsInt());
        }
        JsonObject ann = buy(b, "?user=ann");
        assertEquals(1, ann.get("code").getAsInt(), "a winner coming back to the other node finds her order");
        Map<String, Long> after = commandCalls();
        Map<String, Long> spent = new HashMap<>();
        // the buy path's command (every script call); HGET, HMGET, TIME, XREAD also serve the nodes' timers
        for (String command : new String[] {"evalsha", "eval"}) {
            spent.put(command, after.getOrDefault(command, 0L) - before.getOrDefault(command, 0L));
        }
        assertEquals(Map.of("evalsha", 1L, "eval", 0L), spent,
                "300 losers cost no command; ann's return costs one script (looking up her order)");
    }

    /**
     * An unpaid order expires: its ticket is back in Redis, and node B, sold out, must sell it
     * to the next buyer. Before, B heard of it only at its next stock sync.
     */
    @Test
    void a_ticket_back_from_an_expired_order_is_sold_at_once_by_a_sold_out_node() throws Exception {
        b.stop();
        b = node("b", Map.of("rush.order.ttl.ms", "300", "rush.sweep.ms", "100"));
        sellOut("?user=ann");
        // bea's order (bought on B, 300 ms to pay) expires; B's sweep returns its ticket
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "bea's unpaid order to expire and give its ticket back",
                () -> redis.sold(KEY) == 1);
        // in order: the expiry is on the stream, and B's reader has read past it
        Deadline.await(TimeScale.of(Duration.ofMillis(500)), "B to hear of it (the order stream, not the minute-long"
                + " sync)", () -> streamLength() == 3 && readerCaughtUp());
        JsonObject next = buy(b, "?user=carl");
        assertEquals(1, next.get("code").getAsInt(), () -> "the first buyer after the return gets it: " + next);
        assertEquals(2, redis.sold(KEY));
    }

    /** A request whose order expired unpaid is told so (code -4), on any node, sold out or not. */
    @Test
    void a_retried_request_whose_order_expired_is_told_that_it_expired() {
        b.stop();
        b = node("b", Map.of("rush.order.ttl.ms", "300", "rush.sweep.ms", "100"));
        JsonObject won = buy(b, "?user=eve&rid=eve-1");
        assertEquals(1, won.get("code").getAsInt());
        String order = won.getAsJsonObject("data").get("orderId").getAsString();
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "eve's unpaid order to expire", () -> redis.sold(KEY) == 0);
        for (EmbeddedNode node : new EmbeddedNode[] {a, b}) {
            JsonObject retried = buy(node, "?user=eve&rid=eve-1");
            assertEquals(-4, retried.get("code").getAsInt(), retried::toString);
            assertEquals(order, retried.getAsJsonObject("data").get("orderId").getAsString());
        }
        assertEquals(0, redis.sold(KEY), "telling her took nothing");
        assertEquals(1, buy(a, "?user=eve&rid=eve-2").get("code").getAsInt(), "a new request buys again");
    }

    private long streamLength() {
        try (Jedis jedis = redis.client()) {
            return jedis.xlen(Keys.ofDefault(KEY).orderStream());
        }
    }

    /**
     * B, which follows the sale's orders since it saw it sold out, has read the stream to its end:
     * every reader of it (a connection whose last command was XREAD) is blocked in XREAD now, which
     * Redis does only to a read with nothing left to answer, and a reader tells its node of what it
     * read before it reads again. A connection merely last used for XREAD may still be telling.
     */
    private boolean readerCaughtUp() {
        try (Jedis jedis = redis.client()) {
            List<String> readers = jedis.clientList().lines().filter(line -> line.contains(" cmd=xread ")).toList();
            return !readers.isEmpty()
                    && readers.stream().allMatch(line -> line.matches(".* flags=[A-Za-z]*b[A-Za-z]* .*"));
        }
    }

    private Map<String, Long> commandCalls() {
        Map<String, Long> calls = new HashMap<>();
        try (Jedis jedis = redis.client()) {
            for (String line : jedis.info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_")) {
                    String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                    String count = line.substring(line.indexOf("calls=") + 6);
                    calls.put(name, Long.parseLong(count.substring(0, count.indexOf(','))));
                }
            }
        }
        assertTrue(calls.containsKey("evalsha"), "the stats name the buy script's command");
        return calls;
    }
}
