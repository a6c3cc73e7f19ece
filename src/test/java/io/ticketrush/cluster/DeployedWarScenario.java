package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.ticketrush.support.BuyerCrowd;
import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.StatLogFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One scenario for the packaged WAR, unchanged, on a standalone servlet container started as a
 * child process: it sells exactly its stock, answers JSON errors, logs one stat.log line per
 * buy, and keeps every line through a graceful stop. Subclasses say how to start the container.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
abstract class DeployedWarScenario {
    static final String STOCK_KEY = "ticket_hash_key";
    static final int STOCK = 5;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private ChildProcess server;

    /**
     * Starts the container with the WAR as its root webapp, listening on 127.0.0.1:{@code port},
     * each of {@code settings} ({@code -Drush.x=y}) given to its JVM; {@code dir} is this test's.
     */
    abstract ChildProcess start(Path dir, int port, List<String> settings) throws IOException;

    /** A line of the container's log that shows the webapp was stopped, not killed. */
    abstract String webappStoppedMarker();

    /**
     * Paths the container refuses before the webapp sees them, with the status each must get,
     * in JSON like the webapp's own errors. None unless the container is set up for it.
     */
    Map<String, Integer> refusedByTheContainer() {
        return Map.of();
    }

    @BeforeEach
    void startRedis() {
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, STOCK);
    }

    @AfterEach
    void stopServers() {
        if (server != null) {
            server.stop(Duration.ofSeconds(20));
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void the_war_sells_exactly_its_stock_and_keeps_every_stat_log_line_through_a_graceful_stop() throws IOException {
        int port = FreePort.find();
        StatLogFile statLog = new StatLogFile(dir.resolve("logs/stat.log"));
        server = start(dir, port, List.of(
                "-Drush.redis.port=" + redis.port(),
                "-Drush.stock.key=" + STOCK_KEY,
                "-Drush.statlog=" + statLog.path(),
                "-Drush.node.port=" + port));
        logs.watch(server.name(), server::log);
        logs.watch("stat.log", () -> read(statLog.path()));
        URI stock = uri(port, "/stock");
        Deadline.await(Duration.ofSeconds(90), server.name() + " to deploy the WAR and answer " + stock, () -> {
            server.checkAlive();
            return HttpCall.answers200(stock);
        });

        URI buy = uri(port, "/buy/ticket");
        List<HttpCall.Answer> answers = new ArrayList<>();
        for (int i = 0; i < STOCK + 3; i++) {
            answers.add(HttpCall.get(buy));
        }
        for (int i = 0; i < answers.size(); i++) {
            HttpCall.Answer answer = answers.get(i);
            String which = "request " + (i + 1) + ": " + answer;
            assertEquals(200, answer.status(), which);
            assertEquals(i < STOCK ? 1 : -1, answer.code(), which);
            assertEquals(port, answer.node(), which);
        }
        assertEquals(STOCK, redis.sold(STOCK_KEY), "Redis sold");

        HttpCall.Answer notFound = HttpCall.get(uri(port, "/no/such/path"));
        HttpCall.Answer wrongMethod = HttpCall.send("PUT", buy);
        assertAll(
                () -> assertEquals(404, notFound.status(), notFound::toString),
                () -> assertTrue(notFound.contentType().startsWith("application/json"), notFound::contentType),
                () -> assertEquals("not_found", notFound.json().get("error").getAsString(), notFound::toString),
                () -> assertEquals(405, wrongMethod.status(), wrongMethod::toString),
                () -> assertTrue(wrongMethod.contentType().startsWith("application/json"), wrongMethod::contentType),
                () -> assertEquals("method_not_allowed", wrongMethod.json().get("error").getAsString(),
                        wrongMethod::toString));

        refusedByTheContainer().forEach((path, status) -> {
            HttpCall.Answer refused = HttpCall.get(uri(port, path));
            assertAll(path,
                    () -> assertEquals(status, refused.status(), refused::toString),
                    () -> assertTrue(refused.contentType().startsWith("application/json"), refused::contentType),
                    () -> assertEquals(0, refused.json().get("code").getAsInt(), refused::toString),
                    () -> assertTrue(refused.json().has("error"), refused::toString));
        });
        assertEquals(STOCK, redis.sold(STOCK_KEY), "Redis sold after the refused requests");

        // every request to /buy/ticket has its line, the refused PUT included
        int requests = answers.size() + 1;
        List<StatLogFile.Line> lines = statLog.awaitLines(requests, Duration.ofSeconds(10));
        assertEquals(requests, lines.size(), "one stat.log line per /buy/ticket request");
        assertEquals(Map.of(port, (long) requests), StatLogFile.countByPort(lines), "every line names this node");
        assertEquals(Map.of(1, (long) STOCK, -1, 3L, 0, 1L), StatLogFile.countByResult(lines), "stat.log results");

        // a burst, then a stop right away: lines still queued for the writer thread must reach the file
        int burst = 300;
        List<HttpCall.Answer> late = BuyerCrowd.rush(buy, burst, 20, Duration.ofSeconds(60));
        List<HttpCall.Answer> notSoldOut = late.stream().filter(answer -> !Integer.valueOf(-1).equals(answer.code()))
                .toList();
        assertEquals(List.of(), notSoldOut, "every buyer after the stock is told sold out");
        assertTrue(server.stop(Duration.ofSeconds(30)), server.name() + " stops on SIGTERM within 30 s");
        assertEquals(requests + burst, statLog.count(), "stat.log lines after the graceful stop");
        assertEquals(STOCK, redis.sold(STOCK_KEY), "Redis sold after the stop");
        assertTrue(server.log().contains(webappStoppedMarker()),
                () -> "the webapp was stopped, not killed: no \"" + webappStoppedMarker() + "\" in the log");
    }

    static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
