package io.ticketrush.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import io.ticketrush.web.QueueServlet;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;

/**
 * The waiting room's joins and polls under a node's bound ({@code rush.shed.limit}), over real HTTP
 * and a real Redis, as {@link ShedBuyTest} for buys: Redis holds every write back
 * ({@code CLIENT PAUSE WRITE}), so the joins the node admitted stay in flight, and exactly those over
 * the bound, and a poll meanwhile, are answered at once with a JSON 503 {@code busy} and
 * {@code Retry-After}; the shed joiners get no place in the room, the others theirs once Redis lets
 * the writes through.
 */
class ShedQueueTest extends ShedTestBase {
    private static final String SALE = "QS";

    private OctetSequenceKey key;

    @Override
    Map<String, String> nodeSettings() throws IOException {
        key = TestTokens.secret("k1");
        Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
        return Map.of("rush.auth.keys.file", keys.toString(), "rush.queue.admit.ms", "100");
    }

    private CompletableFuture<Answer> send(String method, String path, String user, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.uri(path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + TestTokens.hs256(key, user));
        headers.forEach(request::header);
        return send(request);
    }

    private CompletableFuture<Answer> join(String user) {
        return send("POST", "/queue/join?sale=" + SALE, user, Map.of());
    }

    private Double place(String user) {
        try (Jedis jedis = redis.client()) {
            return jedis.zscore(Keys.of(SALE, "ticket_hash_key").queue(), user);
        }
    }

    private long places() {
        try (Jedis jedis = redis.client()) {
            return jedis.zcard(Keys.of(SALE, "ticket_hash_key").queue());
        }
    }

    @Test
    void over_the_bound_exactly_the_excess_joins_and_polls_are_shed_at_once_and_get_no_place() throws Exception {
        long opens;
        try (Jedis jedis = redis.client()) {
            opens = Long.parseLong(jedis.time().get(0)) * 1000 + 3_600_000;
        }
        HttpResponse<String> created = HttpCall.newClient().send(HttpRequest.newBuilder(node.adminUri("/admin/sales?id="
                + SALE + "&stock=10&queue=5&pow=0&opens=" + opens)).header("X-Admin-Token", ADMIN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, created.statusCode(), created::body);
        // the node's first join reads the room's figures: have it done before Redis holds the writes back
        Answer first = answer(join("first"));
        assertEquals(200, first.status(), first::toString);
        String ticket = first.json().getAsJsonObject("data").get("ticket").getAsString();
        NodeAdmission room = node.app().roomAdmission();
        Map<String, CompletableFuture<Answer>> sent = new LinkedHashMap<>();
        try (Jedis admin = redis.client()) {
            admin.clientPause(TimeScale.ms(30_000), ClientPauseMode.WRITE);
            try {
                for (int i = 0; i < BOUND + EXCESS; i++) {
                    sent.put("joiner" + i, join("joiner" + i));
                }
                // which requests the node admits first is the network's choice: count by answer
                Deadline.await(TimeScale.of(Duration.ofSeconds(20)), EXCESS + " joiners answered while Redis holds "
                        + BOUND + " in flight", () -> sent.values().stream().filter(CompletableFuture::isDone).count()
                                == EXCESS && room.inFlight() == BOUND);
                List<Answer> shed = new ArrayList<>();
                for (CompletableFuture<Answer> f : sent.values()) {
                    if (f.isDone()) {
                        shed.add(answer(f));
                    }
                }
                assertEquals(EXCESS, shed.size());
                // a poll needs no Redis, but it is one more request in flight than the bound
                shed.add(answer(send("GET", "/queue?sale=" + SALE, "first", Map.of(QueueServlet.TICKET_HEADER,
                        ticket))));
                assertShed(shed, "a join or poll");
                assertEquals(BOUND, room.inFlight(), "the bound's joins are still held by Redis");
                assertEquals(EXCESS + 1, room.shed());
                assertEquals(1, places(), "no place made while Redis holds the writes");
            } finally {
                admin.clientUnpause();
            }
        }
        int placed = 0;
        for (Map.Entry<String, CompletableFuture<Answer>> e : sent.entrySet()) {
            Answer a = answer(e.getValue());
            if (a.status() == 200) {
                assertEquals("waiting", a.json().getAsJsonObject("data").get("state").getAsString(), a::toString);
                assertNotNull(place(e.getKey()), e.getKey() + " was answered a place the room does not hold");
                placed++;
            } else {
                assertTrue(a.shed(), a::toString);
                assertNull(place(e.getKey()), e.getKey() + " was shed, yet holds a place");
            }
        }
        assertEquals(BOUND, placed, "every join within the bound got its place once Redis let the writes through");
        assertEquals(1 + BOUND, places(), "the room holds the first joiner and the bound's, none of the shed");
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "every place given back", () -> room.inFlight() == 0);
        Answer polled = answer(send("GET", "/queue?sale=" + SALE, "first", Map.of(QueueServlet.TICKET_HEADER, ticket)));
        assertEquals(200, polled.status(), () -> "after the load, a poll is answered again: " + polled);
        assertNull(polled.retryAfter(), polled::toString);
    }
}
