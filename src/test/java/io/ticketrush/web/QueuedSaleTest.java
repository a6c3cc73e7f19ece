package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.auth.JoinPuzzle;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisMonitor;

/**
 * A queued sale through one real node and its HTTP endpoints (docs/queue.md): only buyers admitted
 * from the waiting room buy, each once, with a pass of their own; a buy without one is a 403 that
 * Redis never hears of; exactly the stock is sold to admitted buyers however many join; the rest
 * learn "sold out" at their next poll; a ticket its owner cancels admits the next place of the line.
 */
class QueuedSaleTest {
    private static final String KEY = "ticket_hash_key";
    private static final String ADMIN = "queued-sale-admin-token";
    private static final String SALE = "Q1";

    private RedisServer redis;
    private Path dir;
    private OctetSequenceKey k1;
    private EmbeddedNode node;
    private final HttpClient http = HttpClient.newHttpClient();
    private final Map<String, String> tickets = new ConcurrentHashMap<>();
    private final byte[] queueKey = new byte[32];

    private record Answer(int status, JsonObject json) {
        String error() {
            return json.has("error") ? json.get("error").getAsString() : null;
        }

        JsonObject data() {
            return json.getAsJsonObject("data");
        }

        String text(String field) {
            JsonObject data = data();
            return data == null || !data.has(field) || data.get(field).isJsonNull() ? null
                    : data.get(field).getAsString();
        }
    }

    private Map<String, String> nodeSettings;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock(KEY, 10);
        dir = Files.createTempDirectory("rush-queued-");
        k1 = TestTokens.secret("k1");
        Path keysFile = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(k1));
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.redis.port",
                String.valueOf(redis.port()), "rush.stock.total", "10", "rush.node.weight", "10", "rush.statlog",
                dir.resolve("stat.log").toString(), "rush.admin.token", ADMIN, "rush.lock.wait.ms", "5000",
                "rush.redis.timeout.ms", "2000")));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.put("rush.admin.audit", dir.resolve("admin-audit.log").toString());
        settings.put("rush.auth.keys.file", keysFile.toString());
        // the room's key in a file, as ./rush up gives every node run/queue-key: the puzzle's key derives from it
        new SecureRandom().nextBytes(queueKey);
        Path queueKeyFile = dir.resolve("queue-key");
        Files.writeString(queueKeyFile, Base64.getEncoder().encodeToString(queueKey));
        settings.put("rush.queue.key.file", queueKeyFile.toString());
        // the admission step ten times a second: the line moves without the test waiting seconds
        settings.put("rush.queue.admit.ms", "100");
        nodeSettings = settings;
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

    /** A queued sale of {@code stock} tickets admitting {@code rate} places a second, opening in {@code leadMillis}. */
    private void createQueued(int stock, int rate, long leadMillis) {
        createQueued(SALE, stock, rate, 0, leadMillis);
    }

    /** Queued sale {@code id}, its join puzzle {@code pow} bits (0: none). */
    private void createQueued(String id, int stock, int rate, int pow, long leadMillis) {
        long opens = redisNow() + leadMillis;
        Answer created = send("POST", "/admin/sales?id=" + id + "&stock=" + stock + "&queue=" + rate
                + "&pow=" + pow + "&opens=" + opens, null, Map.of("X-Admin-Token", ADMIN));
        assertEquals(201, created.status(), created::toString);
    }

    private long redisNow() {
        try (Jedis jedis = redis.client()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        }
    }

    /**
     * Opens the sale now, on Redis's clock (the node reads it at once): the joins before it came
     * before the opening however slowly the machine ran them.
     */
    private void openNow() {
        try (Jedis jedis = redis.client()) {
            jedis.hset(Keys.of(SALE, KEY).stock(), Keys.OPENS_AT, String.valueOf(redisNow()));
        }
        Answer refreshed = send("POST", "/admin/refresh", null, Map.of("X-Admin-Token", ADMIN));
        assertEquals(200, refreshed.status(), refreshed::toString);
    }

    private Answer send(String method, String path, String user, Map<String, String> headers) {
        boolean admin = headers.containsKey("X-Admin-Token");
        HttpRequest.Builder request = HttpRequest.newBuilder(admin ? node.adminUri(path) : node.uri(path))
                .timeout(Duration.ofSeconds(15)).method(method, HttpRequest.BodyPublishers.noBody());
        if (user != null) {
            request.header("Authorization", "Bearer " + TestTokens.hs256(k1, user));
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JsonParser.parseString(response.body()).getAsJsonObject());
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private Answer join(String user) {
        Answer joined = send("POST", "/queue/join?sale=" + SALE, user, Map.of());
        assertEquals(200, joined.status(), joined::toString);
        tickets.put(user, joined.text("ticket"));
        return joined;
    }

    private Answer poll(String user) {
        Answer polled = send("GET", "/queue?sale=" + SALE, user, Map.of(QueueServlet.TICKET_HEADER, tickets.get(user)));
        assertEquals(200, polled.status(), polled::toString);
        tickets.put(user, polled.text("ticket"));
        return polled;
    }

    /** Polls {@code user} until their state is one of {@code states}: the last answer. */
    private Answer pollUntil(String user, Set<String> states) {
        Answer[] last = new Answer[1];
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), user + " to be " + states, () -> {
            last[0] = poll(user);
            return states.contains(last[0].text("state"));
        });
        return last[0];
    }

    /**
     * Polls until {@code user} is admitted, sold out, or waiting beyond the clock's reach with
     * {@code passesOut} passes out ahead (every ticket's place admitted: the line moves on only if a
     * turn ahead lapses): where the buyer stays while nobody buys.
     */
    private Answer pollUntilStill(String user, long passesOut) {
        Answer[] last = new Answer[1];
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), user + " to stand still", () -> {
            last[0] = poll(user);
            String state = last[0].text("state");
            return "admitted".equals(state) || "sold_out".equals(state)
                    || "waiting".equals(state) && String.valueOf(passesOut).equals(last[0].text("passesOut"));
        });
        return last[0];
    }

    private Answer buy(String user, String pass) {
        return send("POST", "/buy/ticket?sale=" + SALE, user,
                pass == null ? Map.of() : Map.of(QueueServlet.PASS_HEADER, pass));
    }

    private String stockField(String field) {
        try (Jedis jedis = redis.client()) {
            return jedis.hget(Keys.of(SALE, KEY).stock(), field);
        }
    }

    private long orders() {
        try (Jedis jedis = redis.client()) {
            return jedis.hlen(Keys.of(SALE, KEY).orders());
        }
    }

    /** Counts the calls of the buy path's scripts Redis runs while it is open (MONITOR). */
    private final class BuyCalls implements AutoCloseable {
        private final Jedis jedis = redis.client();
        private final AtomicInteger seen = new AtomicInteger();
        private final AtomicInteger pings = new AtomicInteger();
        private final Thread thread;

        BuyCalls() {
            String buy = LuaScripts.BUY.sha().toLowerCase(Locale.ROOT);
            String existing = LuaScripts.EXISTING.sha().toLowerCase(Locale.ROOT);
            CountDownLatch started = new CountDownLatch(1);
            thread = new Thread(() -> {
                try {
                    jedis.monitor(new JedisMonitor() {
                        @Override
                        public void onCommand(String command) {
                            String line = command.toLowerCase(Locale.ROOT);
                            if (line.contains(buy) || line.contains(existing)) {
                                seen.incrementAndGet();
                            } else if (line.contains("\"echo\" \"buy-calls-mark\"")) {
                                pings.incrementAndGet();
                            }
                        }
                    });
                } catch (RuntimeException e) {
                    // the connection closed: the monitor is over
                }
            }, "buy-calls-monitor");
            thread.setDaemon(true);
            thread.start();
            // the monitor is on once it sees a command of ours
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "MONITOR to start", () -> {
                mark();
                return pings.get() > 0;
            });
            started.countDown();
        }

        private void mark() {
            try (Jedis other = redis.client()) {
                other.echo("buy-calls-mark");
            }
        }

        /** The buy scripts' calls seen so far, once Redis has shown the monitor every command sent before. */
        int seen() {
            int before = pings.get();
            mark();
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "MONITOR to catch up", () -> pings.get() > before);
            return seen.get();
        }

        @Override
        public void close() {
            jedis.getConnection().close();
        }
    }

    /** {@code user}'s puzzle for {@code sale}, as GET /queue/challenge answers it. */
    private JoinPuzzle.Challenge challenge(String sale, String user) {
        Answer answer = send("GET", "/queue/challenge?sale=" + sale, user, Map.of());
        assertEquals(200, answer.status(), answer::toString);
        assertEquals("puzzle", answer.json().get("msg").getAsString(), answer::toString);
        return new JoinPuzzle.Challenge(answer.text("algorithm"), answer.text("challenge"),
                answer.data().get("maxnumber").getAsLong(), answer.text("salt"), answer.text("signature"));
    }

    /** The X-Queue-Proof of {@code challenge}, solved as a browser solves it. */
    private static String solved(JoinPuzzle.Challenge challenge) {
        return JoinPuzzle.proof(challenge, JoinPuzzle.solve(challenge).orElseThrow(
                () -> new AssertionError("nothing solves " + challenge)));
    }

    private Answer joinWith(String sale, String user, String proof) {
        return send("POST", "/queue/join?sale=" + sale, user,
                proof == null ? Map.of() : Map.of(QueueServlet.PROOF_HEADER, proof));
    }

    private long places(String sale) {
        try (Jedis jedis = redis.client()) {
            return jedis.zcard(Keys.of(sale, KEY).queue());
        }
    }

    private static void assertRefused(int status, String error, String reason, Answer answer, String why) {
        assertEquals(status, answer.status(), why + ": " + answer);
        assertEquals(error, answer.error(), why + ": " + answer);
        assertEquals(reason, answer.json().has("reason") ? answer.json().get("reason").getAsString() : null,
                why + ": " + answer);
    }

    @Test
    void a_sale_with_a_puzzle_takes_a_join_only_with_a_proof_solved_by_that_buyer_for_that_sale() {
        createQueued("Q1", 5, 1000, 8, 3_600_000);
        createQueued("Q2", 5, 1000, 8, 3_600_000);
        JoinPuzzle.Challenge annas = challenge("Q1", "anna");
        assertEquals("SHA-256", annas.algorithm());
        assertEquals(255, annas.maxnumber(), "8 bits: numbers 0 to 255");
        String annaQ1 = solved(annas);
        String bertQ1 = solved(challenge("Q1", "bert"));
        String annaQ2 = solved(challenge("Q2", "anna"));

        assertRefused(403, "proof_required", null, joinWith("Q1", "anna", null), "no proof");
        assertRefused(403, "proof_invalid", "other_user", joinWith("Q1", "anna", bertQ1), "bert's proof");
        assertRefused(403, "proof_invalid", "other_sale", joinWith("Q1", "anna", annaQ2), "anna's proof for Q2");
        JoinPuzzle stranger = new JoinPuzzle("not the room's key, 32 bytes long".getBytes(StandardCharsets.US_ASCII),
                System::currentTimeMillis);
        assertRefused(403, "proof_invalid", "forged", joinWith("Q1", "anna", solved(stranger.challenge("Q1", "anna", 8))),
                "a puzzle of another key");
        assertRefused(400, "proof_invalid", "malformed", joinWith("Q1", "anna", "not a proof"), "no payload");
        assertEquals(0, places("Q1"), "no refused join has a place");

        Answer anna = joinWith("Q1", "anna", annaQ1);
        assertEquals(200, anna.status(), anna::toString);
        assertEquals("waiting", anna.text("state"), anna::toString);
        assertEquals(1, places("Q1"), "anna's own proof: her place");
        Answer again = joinWith("Q1", "anna", annaQ1);
        assertEquals(200, again.status(), again::toString);
        assertEquals(anna.text("ticket"), again.text("ticket"), "the proof again: the same place");
        assertEquals(1, places("Q1"), "one place per user, the proof sent twice");
        // a puzzle made with the room's key (run/queue-key) by anyone who holds it: the node derives the same key
        JoinPuzzle ofTheRoomsKey = new JoinPuzzle(queueKey, System::currentTimeMillis);
        Answer bert = joinWith("Q1", "bert", solved(ofTheRoomsKey.challenge("Q1", "bert", 8)));
        assertEquals(200, bert.status(), bert::toString);
        assertEquals(2, places("Q1"), "anna and bert");

        // a sale without a puzzle: the challenge says so, and a join needs no proof
        createQueued("Q3", 5, 1000, 0, 3_600_000);
        Answer none = send("GET", "/queue/challenge?sale=Q3", "anna", Map.of());
        assertEquals(200, none.status(), none::toString);
        assertEquals("no_puzzle", none.json().get("msg").getAsString(), none::toString);
        assertEquals(false, none.data().get("required").getAsBoolean(), none::toString);
        assertEquals(200, joinWith("Q3", "anna", null).status());
        Answer anonymous = send("GET", "/queue/challenge?sale=Q1", null, Map.of());
        assertEquals(401, anonymous.status(), "a puzzle is made for a signed buyer: " + anonymous);
    }

    @Test
    void a_buy_without_a_valid_pass_of_its_own_is_403_not_admitted_and_redis_never_hears_of_it() {
        createQueued(1, 1000, 0);
        Answer anna = join("anna");
        join("bert");
        Answer again = join("anna");
        assertEquals(anna.text("ticket"), again.text("ticket"), "joining again: the same place, the same ticket");
        try (Jedis jedis = redis.client()) {
            assertEquals(2, jedis.zcard(Keys.of(SALE, KEY).queue()), "anna joined twice: one place");
        }
        String pass = pollUntil("anna", Set.of("admitted")).text("pass");
        assertNotNull(pass);
        Answer behind = pollUntilStill("bert", 1);
        assertEquals("waiting", behind.text("state"), "the one ticket is anna's to buy, but her pass may lapse to bert: "
                + behind);
        assertEquals("1", behind.text("passesOut"), behind::toString);
        String ticket = tickets.get("anna");
        // a buy of the open default sale first: Redis knows the buy script, so a buy is one EVALSHA (no NOSCRIPT retry)
        Answer warm = send("POST", "/buy/ticket", null, Map.of());
        assertEquals(1, warm.json().get("code").getAsInt(), warm::toString);
        try (BuyCalls calls = new BuyCalls()) {
            Map<String, Answer> refused = new HashMap<>();
            refused.put("no pass", buy("anna", null));
            refused.put("another's pass", buy("bert", pass));
            refused.put("a forged pass", buy("anna", pass.substring(0, pass.length() - 2)
                    + (pass.endsWith("AA") ? "BB" : "AA")));
            refused.put("a queue ticket as pass", buy("anna", ticket));
            refused.forEach((why, answer) -> {
                assertEquals(403, answer.status(), why + ": " + answer);
                assertEquals("not_admitted", answer.error(), why + ": " + answer);
            });
            assertEquals(0, calls.seen(), "refused buys made no Redis call");
            Answer bought = buy("anna", pass);
            assertEquals(200, bought.status(), bought::toString);
            assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
            assertEquals(1, calls.seen(), "a buy with a pass is one Redis call");
        }
        assertEquals("1", stockField(Keys.SOLD));
        assertEquals(1, orders());
        Answer gone = pollUntil("bert", Set.of("sold_out"));
        assertEquals("0", gone.text("passesOut"), "anna's ticket is sold: bert is told at his next poll " + gone);
        assertEquals("1", gone.text("unpaid"), "anna's order may still come back: " + gone);
    }

    @Test
    void more_joiners_than_tickets_buy_exactly_the_stock_each_with_their_own_pass_once() throws Exception {
        int stock = 20;
        int joiners = 60;
        createQueued(stock, 1000, 3_600_000);
        Map<String, String> passes = new ConcurrentHashMap<>();
        Set<String> soldOut = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> joined = new ArrayList<>();
            for (int i = 0; i < joiners; i++) {
                String user = "u" + i;
                joined.add(pool.submit(() -> {
                    Answer answer = join(user);
                    assertEquals("waiting", answer.text("state"), answer::toString);
                    assertTrue(answer.data().get("position").isJsonNull(), "no place before the lottery: " + answer);
                }));
            }
            for (Future<?> f : joined) {
                f.get();
            }
            try (Jedis jedis = redis.client()) {
                assertEquals(joiners, jedis.zcard(Keys.of(SALE, KEY).queue()), "one place each");
            }
            openNow();
            List<Future<?>> polled = new ArrayList<>();
            for (int i = 0; i < joiners; i++) {
                String user = "u" + i;
                polled.add(pool.submit(() -> {
                    Answer last = pollUntilStill(user, stock);
                    if ("admitted".equals(last.text("state"))) {
                        passes.put(user, last.text("pass"));
                    } else {
                        assertEquals("waiting", last.text("state"), user + " told sold out while 20 passes may lapse: "
                                + last);
                        assertEquals(String.valueOf(stock), last.text("passesOut"), last::toString);
                        soldOut.add(user);
                    }
                }));
            }
            for (Future<?> f : polled) {
                f.get();
            }
            assertEquals(stock, passes.size(), "admitted: one place per ticket");
            assertEquals(joiners - stock, soldOut.size(), "the rest wait on the passes out");
            // every joiner buys at once: the admitted with their pass, the rest with none or a neighbour's
            List<String> others = new ArrayList<>(passes.values());
            CountDownLatch go = new CountDownLatch(1);
            Map<String, Answer> answers = new ConcurrentHashMap<>();
            List<Future<?>> bought = new ArrayList<>();
            for (int i = 0; i < joiners; i++) {
                String user = "u" + i;
                String pass = passes.containsKey(user) ? passes.get(user) : i % 2 == 0 ? null : others.get(i % stock);
                bought.add(pool.submit(() -> {
                    go.await();
                    answers.put(user, buy(user, pass));
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : bought) {
                f.get();
            }
            Set<String> orderIds = new HashSet<>();
            for (int i = 0; i < joiners; i++) {
                String user = "u" + i;
                Answer answer = answers.get(user);
                if (passes.containsKey(user)) {
                    assertEquals(200, answer.status(), user + ": " + answer);
                    assertEquals(1, answer.json().get("code").getAsInt(), user + ": " + answer);
                    orderIds.add(answer.text("orderId"));
                } else {
                    assertEquals(403, answer.status(), user + ": " + answer);
                    assertEquals("not_admitted", answer.error(), user + ": " + answer);
                }
            }
            assertEquals(stock, orderIds.size(), "one order each for the admitted");
            // every ticket sold: the rest hear it at their next poll (after the node's next admission step)
            for (String user : soldOut) {
                assertEquals("sold_out", pollUntil(user, Set.of("sold_out")).text("state"));
            }
            // replayed: the pass buys nothing more
            for (Map.Entry<String, String> e : passes.entrySet()) {
                Answer again = buy(e.getKey(), e.getValue());
                assertTrue(again.status() == 403 || orderIds.contains(again.text("orderId")),
                        "a replayed pass answers the buyer's order or nothing: " + again);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(String.valueOf(stock), stockField(Keys.SOLD), "exactly the stock sold");
        assertEquals(stock, orders());
        try (Jedis jedis = redis.client()) {
            assertEquals(passes.keySet(), jedis.smembers(Keys.of(SALE, KEY).queueSpent()), "the passes spent");
        }
    }

    @Test
    void a_cancelled_order_admits_the_next_place_of_the_line_and_only_its_owner_may_cancel() {
        createQueued(2, 1000, 3_600_000);
        for (String user : List.of("p1", "p2", "p3", "p4", "p5")) {
            join(user);
        }
        openNow();
        Map<String, String> passes = new HashMap<>();
        Map<Long, String> waiting = new HashMap<>();
        for (String user : List.of("p1", "p2", "p3", "p4", "p5")) {
            Answer last = pollUntilStill(user, 2);
            if ("admitted".equals(last.text("state"))) {
                passes.put(user, last.text("pass"));
            } else {
                waiting.put(last.data().get("position").getAsLong(), user);
            }
        }
        assertEquals(2, passes.size());
        assertEquals(Set.of(1L, 2L, 3L), waiting.keySet(), "the waitlist's positions, in order");
        List<String> admitted = new ArrayList<>(passes.keySet());
        String owner = admitted.get(0);
        String orderId = null;
        for (String user : admitted) {
            Answer bought = buy(user, passes.get(user));
            assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
            if (user.equals(owner)) {
                orderId = bought.text("orderId");
            }
        }
        assertEquals("2", stockField(Keys.SOLD));
        for (String user : waiting.values()) {
            assertEquals("sold_out", pollUntil(user, Set.of("sold_out")).text("state"), "every ticket sold");
        }
        Answer notYours = send("POST", "/order/cancel?id=" + orderId, admitted.get(1), Map.of());
        assertEquals(404, notYours.status(), notYours::toString);
        assertEquals("2", stockField(Keys.SOLD), "another's cancel changed nothing");
        assertEquals("0", stockField(Keys.QUEUE_RETURNED) == null ? "0" : stockField(Keys.QUEUE_RETURNED));
        Answer cancelled = send("POST", "/order/cancel?id=" + orderId, owner, Map.of());
        assertEquals(200, cancelled.status(), cancelled::toString);
        assertEquals("1", stockField(Keys.SOLD));
        assertEquals("1", stockField(Keys.QUEUE_RETURNED));
        String first = waiting.get(1L);
        String next = pollUntil(first, Set.of("admitted")).text("pass");
        for (long position = 2; position <= 3; position++) {
            Answer still = poll(waiting.get(position));
            assertEquals("waiting", still.text("state"), "place " + position + " stays behind, but the ticket come"
                    + " back is not sold yet: its turn may lapse on");
            assertEquals(position - 1, still.data().get("position").getAsLong());
        }
        assertEquals(403, buy(waiting.get(2L), null).status(), "refreshing buys nothing");
        Answer bought = buy(first, next);
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        assertEquals("2", stockField(Keys.SOLD));
        assertEquals(3, orders(), "two orders sold, one cancelled");
        for (long position = 2; position <= 3; position++) {
            Answer gone = pollUntil(waiting.get(position), Set.of("sold_out"));
            assertEquals(position - 1, gone.data().get("position").getAsLong(), "place " + position + " stays behind");
        }
    }

    @Test
    void a_winner_buying_again_after_its_pass_s_time_gets_its_first_order_and_a_pass_that_lapsed_unused_buys_nothing() {
        // passes of one second: the node again, with the shortest pass time there is
        node.stop();
        Map<String, String> shortPasses = new HashMap<>(nodeSettings);
        shortPasses.put("rush.queue.pass.ttl.ms", "1000");
        node = EmbeddedNode.start(shortPasses);
        createQueued(2, 1000, 3_600_000);
        join("winner");
        join("idler");
        openNow();
        Answer winnerTurn = pollUntil("winner", Set.of("admitted"));
        Answer idlerTurn = pollUntil("idler", Set.of("admitted"));
        Answer first = buy("winner", winnerTurn.text("pass"));
        assertEquals(200, first.status(), first::toString);
        assertEquals(1, first.json().get("code").getAsInt(), first::toString);
        long over = Math.max(Long.parseLong(winnerTurn.text("passUntil")), Long.parseLong(idlerTurn.text("passUntil")));
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "both passes past their time on Redis's clock",
                () -> redisNow() > over);
        Answer again = buy("winner", winnerTurn.text("pass"));
        assertEquals(200, again.status(), () -> "the winner's buy sent again: its first answer: " + again);
        assertEquals(first.text("orderId"), again.text("orderId"), () -> "the same order: " + again);
        Answer lapsed = buy("idler", idlerTurn.text("pass"));
        assertEquals(403, lapsed.status(), () -> "a pass that lapsed unused buys nothing: " + lapsed);
        assertEquals("not_admitted", lapsed.error(), lapsed::toString);
        assertEquals("1", stockField(Keys.SOLD), "one ticket sold, to the winner");
        assertEquals(1, orders());
    }

    private Answer leave(String sale, String user) {
        return send("POST", "/queue/leave?sale=" + sale, user, Map.of());
    }

    /**
     * POST /queue/leave (docs/queue.md, "Leaving"): the admitted buyer who leaves hands its turn to
     * the next place at the next admission step (counted lapsed), its pass buys nothing, asked again
     * it answers the same; a spent pass cannot be handed back; a stranger, an unknown sale, a sale
     * without a room and a buyer without a place are refused, each as JSON.
     */
    @Test
    void a_buyer_who_leaves_hands_its_turn_to_the_next_place_and_its_pass_buys_nothing() {
        createQueued(1, 1000, 3_600_000);
        createQueued("O1", 5, 0, 0, 0);
        for (String user : List.of("q1", "q2", "q3")) {
            join(user);
        }
        openNow();
        Map<String, String> passes = new HashMap<>();
        Map<Long, String> waiting = new HashMap<>();
        for (String user : List.of("q1", "q2", "q3")) {
            Answer last = pollUntilStill(user, 1);
            if ("admitted".equals(last.text("state"))) {
                passes.put(user, last.text("pass"));
            } else {
                waiting.put(last.data().get("position").getAsLong(), user);
            }
        }
        assertEquals(1, passes.size());
        assertEquals(Set.of(1L, 2L), waiting.keySet());
        String leaver = passes.keySet().iterator().next();

        assertRefused(401, "unauthorized", null, leave(SALE, null), "a stranger");
        assertRefused(404, "unknown_sale", null, leave("NOPE", leaver), "an unknown sale");
        assertRefused(409, "not_queued", null, leave("O1", leaver), "a sale without a room");
        assertRefused(404, "not_in_room", null, leave(SALE, "q9"), "a buyer without a place");

        Answer left = leave(SALE, leaver);
        assertEquals(200, left.status(), left::toString);
        assertEquals("left", left.json().get("msg").getAsString());
        assertEquals("true", left.text("admitted"));
        Answer again = leave(SALE, leaver);
        assertEquals(200, again.status(), again::toString);
        assertEquals(left.json(), again.json(), "leaving again answers the same");
        assertRefused(403, "not_admitted", null, buy(leaver, passes.get(leaver)), "a pass handed back");
        assertEquals("0", stockField(Keys.SOLD));

        String first = waiting.get(1L);
        Answer next = pollUntil(first, Set.of("admitted"));
        assertEquals("1", stockField(Keys.QUEUE_LAPSED), "the turn handed back lapsed, once");
        assertEquals("waiting", poll(waiting.get(2L)).text("state"), "place 2 stays behind");
        assertEquals("lapsed", poll(leaver).text("state"));
        Answer bought = buy(first, next.text("pass"));
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        assertEquals("1", stockField(Keys.SOLD));
        assertEquals(1, orders(), "one order, the next place's");
        assertRefused(409, "pass_spent", null, leave(SALE, first), "a spent pass");
        assertEquals("1", stockField(Keys.QUEUE_LAPSED), "nothing else lapsed");
    }
}
