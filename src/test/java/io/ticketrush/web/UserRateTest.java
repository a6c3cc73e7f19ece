package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.StatLogFile;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The per-user rate of a node (rush.user.rate, issue 18): a signed buyer flooding one node is
 * answered 429 {@code rate_limited} with {@code Retry-After} past its burst and rate, before any
 * Redis call, selling nothing, while another signed buyer buys; open sales and anonymous buyers
 * are never limited there (the article's demo).
 */
class UserRateTest {
    private static final String KEY = "ticket_hash_key";
    private static final String ADMIN = "user-rate-admin-token-0123";
    private static final String SIGNED = "S1";
    private static final String OPEN = "O1";
    private static final int RATE = 2;
    private static final int BURST = 3;

    private RedisServer redis;
    private Path dir;
    private OctetSequenceKey key;
    private EmbeddedNode node;
    private StatLogFile statLog;
    private final HttpClient http = HttpClient.newHttpClient();

    private record Answer(int status, JsonObject json, String retryAfter) {
        int code() {
            return json.get("code").getAsInt();
        }

        String error() {
            return json.has("error") && !json.get("error").isJsonNull() ? json.get("error").getAsString() : null;
        }
    }

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.start();
        redis.initStock(KEY, 100);
        dir = Files.createTempDirectory("rush-user-rate-");
        key = TestTokens.secret("k1");
        Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
        statLog = new StatLogFile(dir.resolve("stat.log"));
        // the sync and the sweep (which run scripts too) out of the way: every EVALSHA is a buyer's
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.stock.total", "100", "rush.node.weight", "10", "rush.statlog", statLog.path().toString(),
                "rush.admin.token", ADMIN, "rush.lock.wait.ms", "5000", "rush.redis.timeout.ms", "2000",
                "rush.sync.ms", "3600000", "rush.sweep.ms", "3600000")));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.put("rush.admin.audit", dir.resolve("admin-audit.log").toString());
        settings.put("rush.auth.keys.file", keys.toString());
        settings.put("rush.user.rate", String.valueOf(RATE));
        settings.put("rush.user.burst", String.valueOf(BURST));
        node = EmbeddedNode.start(settings);
        assertEquals(201, admin("/admin/sales?id=" + SIGNED + "&stock=50").statusCode());
        assertEquals(201, admin("/admin/sales?id=" + OPEN + "&stock=50&buyers=open").statusCode());
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    @Test
    void a_signed_buyer_flooding_a_node_is_answered_429_before_redis_while_another_buys() {
        String mallory = TestTokens.hs256(key, "mallory");
        long start = System.nanoTime();
        List<Answer> flood = new ArrayList<>();
        List<Long> scriptsOfRefused = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long scriptsBefore = evalshaCalls();
            Answer answer = buy("/buy/ticket?sale=" + SIGNED, mallory);
            flood.add(answer);
            if (answer.status() == 429) {
                scriptsOfRefused.add(evalshaCalls() - scriptsBefore);
            }
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        Answer alice = buy("/buy/ticket?sale=" + SIGNED, TestTokens.hs256(key, "alice"));

        List<Answer> through = flood.stream().filter(a -> a.status() == 200).toList();
        List<Answer> limited = flood.stream().filter(a -> a.status() == 429).toList();
        assertEquals(flood.size(), through.size() + limited.size(), () -> "only 200 and 429: " + flood);
        assertTrue(through.size() >= BURST && through.size() <= BURST + RATE * (seconds + 1),
                through.size() + " let through in " + seconds + " s: the burst, then " + RATE + " a second");
        for (Answer refused : limited) {
            assertEquals("rate_limited", refused.error(), refused::toString);
            assertEquals(0, refused.code(), refused::toString);
            assertTrue(refused.retryAfter() != null && Integer.parseInt(refused.retryAfter()) >= 1, refused::toString);
        }
        assertEquals(1, through.get(0).code(), "mallory's first buy is a ticket");
        assertEquals(limited.size(), scriptsOfRefused.size());
        assertEquals(0, scriptsOfRefused.stream().mapToLong(Long::longValue).sum(),
                () -> "scripts Redis ran during each refused request (nothing else runs one here): " + scriptsOfRefused);
        assertEquals(200, alice.status(), alice::toString);
        assertEquals(1, alice.code(), () -> "alice gets a ticket while mallory floods: " + alice);
        try (Jedis jedis = redis.client()) {
            assertEquals("2", jedis.hget(Keys.of(SIGNED, KEY).stock(), "ticket_sold_nums"),
                    "one ticket each (limit 1), none for a refused request");
        }
        List<StatLogFile.Line> lines = statLog.awaitLines(flood.size() + 1, TimeScale.of(Duration.ofSeconds(10)));
        assertEquals(flood.size() + 1, lines.size(), "one stat.log line per request, refused ones too");
        assertEquals(limited.size(), lines.stream().filter(l -> l.status() == 429).count());
    }

    @Test
    void open_sales_and_anonymous_buyers_are_not_limited_per_user() {
        String bobsToken = TestTokens.hs256(key, "bob");
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answers.add(buy("/buy/ticket?sale=" + OPEN + "&user=bob", null));
            answers.add(buy("/buy/ticket?sale=" + OPEN, bobsToken));
            answers.add(buy("/buy/ticket?sale=" + OPEN, null));
            answers.add(buy("/buy/ticket", null));
        }
        assertEquals(List.of(), answers.stream().filter(a -> a.status() != 200).toList(),
                "40 buys, " + 4 * BURST + " over a burst of " + BURST + " each way, none refused");
    }

    private Answer buy(String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.uri(path)).timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = send(request.build());
        return new Answer(response.statusCode(), JsonParser.parseString(response.body()).getAsJsonObject(),
                response.headers().firstValue("Retry-After").orElse(null));
    }

    private HttpResponse<String> admin(String path) {
        return send(HttpRequest.newBuilder(node.adminUri(path)).header("X-Admin-Token", ADMIN)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(request + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** EVALSHA calls Redis has run so far (every buy script). */
    private long evalshaCalls() {
        try (Jedis jedis = redis.client()) {
            for (String line : jedis.info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_evalsha:")) {
                    String calls = line.substring(line.indexOf("calls=") + 6);
                    return Long.parseLong(calls.substring(0, calls.indexOf(',')));
                }
            }
        }
        return 0;
    }
}
