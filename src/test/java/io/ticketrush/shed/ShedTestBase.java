package io.ticketrush.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the shedding tests share: a real Redis, one node over real HTTP whose bound is {@link #BOUND}
 * (its Redis calls wait long enough for a test to hold Redis's writes back), requests sent each on a
 * connection and thread of its own, and what a shed answer must be.
 */
abstract class ShedTestBase {
    static final int BOUND = 4;
    static final int EXCESS = 6;
    static final String ADMIN = "shed-test-admin-token";

    RedisServer redis;
    EmbeddedNode node;
    Path dir;
    private final ExecutorService clients = Executors.newCachedThreadPool();

    record Answer(int status, String body, String retryAfter, String contentType) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }

        boolean ticket() {
            return status == 200 && json().get("code").getAsInt() == 1;
        }

        boolean shed() {
            return status == 503 && "busy".equals(json().get("error").getAsString());
        }

        @Override
        public String toString() {
            return status + " " + body + " (Retry-After " + retryAfter + ")";
        }
    }

    /** The node's settings beyond the shared ones; called once Redis and {@link #dir} exist (set the stock up here). */
    abstract Map<String, String> nodeSettings() throws IOException;

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.start();
        dir = Files.createTempDirectory("rush-" + getClass().getSimpleName() + "-");
        Map<String, String> settings = new HashMap<>(Map.of("rush.statlog", dir.resolve("stat.log").toString(),
                "rush.shed.limit", String.valueOf(BOUND),
                // the held requests wait for Redis, not for this
                "rush.redis.timeout.ms", String.valueOf(TimeScale.ms(30_000)), "rush.admin.token", ADMIN,
                "rush.admin.audit", dir.resolve("admin-audit.log").toString()));
        settings.putAll(nodeSettings());
        settings = new HashMap<>(redis.asNode(settings));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        clients.shutdownNow();
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    /** Sends {@code request} on a thread and a client of its own: every request on a connection of its own, at once. */
    CompletableFuture<Answer> send(HttpRequest.Builder request) {
        HttpRequest built = request.timeout(TimeScale.of(Duration.ofSeconds(60))).build();
        return CompletableFuture.supplyAsync(() -> {
            try {
                HttpResponse<String> r = HttpCall.newClient().send(built, HttpResponse.BodyHandlers.ofString());
                return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null),
                        r.headers().firstValue("Content-Type").orElse(""));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }, clients);
    }

    static Answer answer(CompletableFuture<Answer> future) throws Exception {
        return future.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS);
    }

    /** Each of {@code answers} a fast JSON 503 {@code busy} with {@code Retry-After: 1}, no stack trace. */
    static void assertShed(List<Answer> answers, String what) {
        for (Answer a : answers) {
            assertTrue(a.shed(), () -> what + " over the bound is told busy: " + a);
            assertEquals("1", a.retryAfter(), () -> "and when to come back: " + a);
            assertTrue(a.contentType().startsWith("application/json"), a::toString);
            assertFalse(a.body().contains("Exception") || a.body().contains("\tat "), a::toString);
        }
    }

    long metric(String name) {
        for (String line : HttpCall.get(node.uri("/metrics")).body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no " + name + " in /metrics");
    }
}
