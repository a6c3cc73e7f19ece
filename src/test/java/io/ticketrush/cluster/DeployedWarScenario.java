package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.ticketrush.redis.keys.Keys;
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
import redis.clients.jedis.Jedis;

/**
 * One scenario for the packaged WAR, unchanged, on a standalone servlet container started as a
 * child process: it sells exactly its stock, answers JSON errors, logs one stat.log line per
 * buy, and keeps every line through a graceful stop that comes while buys are in flight.
 * Subclasses say how to start the container.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
abstract class DeployedWarScenario {
    static final String STOCK_KEY = "ticket_hash_key";
    static final int STOCK = 5;
    /** Tickets added for the buys in flight at the stop, one per late buyer, so each that reaches the node sells. */
    static final int BURST = 300;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private ChildProcess server;

    /**
     * Starts the container with the WAR as its root webapp, listening on 127.0.0.1:{@code port} and,
     * for admin, on 127.0.0.1:{@code adminPort} (the WAR's {@code rush.admin.port}, among the
     * settings), each of {@code settings} ({@code -Drush.x=y}) given to its JVM; {@code dir} is this test's.
     */
    abstract ChildProcess start(Path dir, int port, int adminPort, List<String> settings) throws IOException;

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
    void the_war_sells_exactly_its_stock_and_keeps_every_stat_log_line_through_a_stop_with_buys_in_flight()
            throws IOException {
        int port = FreePort.find();
        int adminPort = FreePort.find();
        StatLogFile statLog = new StatLogFile(dir.resolve("logs/stat.log"));
        Path audit = dir.resolve("logs/admin-audit.log");
        Path token = Files.writeString(dir.resolve("admin-token"), ADMIN_TOKEN);
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
        List<String> settings = new ArrayList<>();
        // the node's address and ACL user; its password in a file (rush.redis.password.file), as ./rush does
        redis.asNode(Map.of()).forEach((name, value) -> settings.add("-D" + name + "=" + value));
        settings.addAll(List.of(
                "-Drush.stock.key=" + STOCK_KEY,
                "-Drush.statlog=" + statLog.path(),
                "-Drush.node.port=" + port,
                // the node hears of the tickets added below within 100 ms, not the default 1 s
                "-Drush.sync.ms=100",
                // admin on a loopback connector of its own, the token in a file, as ./rush runs a node
                "-Drush.admin.port=" + adminPort,
                "-Drush.admin.token.file=" + token,
                "-Drush.admin.audit=" + audit));
        server = start(dir, port, adminPort, settings);
        logs.watch(server.name(), server::log);
        logs.watch("stat.log", () -> read(statLog.path()));
        URI stock = uri(port, "/stock");
        Deadline.await(Duration.ofSeconds(90), server.name() + " to deploy the WAR and answer " + stock, () -> {
            server.checkAlive();
            return HttpCall.answers200(stock);
        });

        URI buy = uri(port, "/buy/ticket");
        // A 503 sells nothing and asks the buyer to try again, which a buyer does: a fresh JVM on a
        // loaded machine may take longer than the Redis timeout over its first call. Any other
        // answer is the next one in order.
        List<HttpCall.Answer> answers = new ArrayList<>();
        List<HttpCall.Answer> busy = new ArrayList<>();
        while (answers.size() < STOCK + 3) {
            HttpCall.Answer answer = HttpCall.get(buy);
            if (answer.status() == 503 && busy.size() < 20) {
                busy.add(answer);
            } else {
                answers.add(answer);
            }
        }
        for (HttpCall.Answer answer : busy) {
            assertEquals(0, answer.code(), () -> "a 503 is a JSON refusal: " + answer);
        }
        for (int i = 0; i < answers.size(); i++) {
            HttpCall.Answer answer = answers.get(i);
            String which = "request " + (i + 1) + " (after " + busy.size() + " answered 503): " + answer;
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

        // admin: on the public port the 404 of an unknown path, token or not; on the admin port it works
        HttpCall.Answer publicAdmin = postAdmin(uri(port, "/admin/refresh"));
        HttpCall.Answer admin = postAdmin(uri(adminPort, "/admin/refresh"));
        assertAll(
                () -> assertEquals(404, publicAdmin.status(), publicAdmin::toString),
                () -> assertEquals("not_found", publicAdmin.json().get("error").getAsString(), publicAdmin::toString),
                () -> assertEquals(200, admin.status(), admin::toString));
        List<String> audited = Files.readAllLines(audit);
        assertEquals(1, audited.size(), "one audit line, for the request on the admin port: " + audited);
        assertTrue(audited.get(0).contains("\"action\":\"/refresh\"") && audited.get(0).contains("\"status\":200"),
                audited.get(0));
        assertTrue(!audited.get(0).contains(ADMIN_TOKEN), "no token in the audit log");

        // every request to /buy/ticket has its line, the refused PUT included
        int requests = answers.size() + busy.size() + 1;
        List<StatLogFile.Line> lines = statLog.awaitLines(requests, Duration.ofSeconds(10));
        assertEquals(requests, lines.size(), "one stat.log line per /buy/ticket request");
        assertEquals(Map.of(port, (long) requests), StatLogFile.countByPort(lines), "every line names this node");
        assertEquals(Map.of(1, (long) STOCK, -1, 3L, 0, 1L + busy.size()), StatLogFile.countByResult(lines), "stat.log results");

        // Buys in flight when the container is told to stop (SIGTERM): every answer a buyer got,
        // and every request that reached the node (it made an order), must have its one line.
        try (Jedis jedis = redis.client()) {
            jedis.hincrBy(STOCK_KEY, Keys.TOTAL, BURST);
        }
        record Late(HttpCall.Answer answer, long sentNanos, long doneNanos) {
        }
        Map<String, Late> late = new ConcurrentHashMap<>();
        AtomicInteger lateTickets = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(20);
        for (int c = 0; c < 20; c++) {
            clients.execute(() -> {
                for (int i = next.getAndIncrement(); i < BURST; i = next.getAndIncrement()) {
                    String user = "late-" + i;
                    long sent = System.nanoTime();
                    HttpCall.Answer answer = HttpCall.getOnce(uri(port, "/buy/ticket?user=" + user));
                    late.put(user, new Late(answer, sent, System.nanoTime()));
                    if (Integer.valueOf(1).equals(answer.code())) {
                        lateTickets.incrementAndGet();
                    }
                }
            });
        }
        clients.shutdown();
        Deadline.await(Duration.ofSeconds(60), "the node to sell " + BURST / 10 + " of the " + BURST
                + " tickets added (sold so far " + lateTickets + ")", () -> lateTickets.get() >= BURST / 10);
        int answeredBeforeStop = late.size();
        long sigterm = System.nanoTime();
        assertTrue(server.stop(Duration.ofSeconds(30)), server.name() + " stops on SIGTERM within 30 s");
        try {
            assertTrue(clients.awaitTermination(60, TimeUnit.SECONDS), "the late buyers finished within 60 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            clients.shutdownNow();
        }
        long inFlight = late.values().stream().filter(l -> l.sentNanos() < sigterm && l.doneNanos() > sigterm).count();
        assertTrue(inFlight > 0, "buys were in flight when SIGTERM was sent");

        Map<String, List<StatLogFile.Line>> linesOf = new HashMap<>();
        for (StatLogFile.Line line : statLog.lines()) {
            String user = line.field("user");
            if (user != null) {
                linesOf.computeIfAbsent(user, u -> new ArrayList<>()).add(line);
            }
        }
        Map<String, String> orderOf = lateOrders();
        List<String> problems = new ArrayList<>();
        int answered = 0;
        int unansweredOrders = 0;
        int byTheContainer = 0;
        for (int i = 0; i < BURST; i++) {
            String user = "late-" + i;
            Late one = late.get(user);
            HttpCall.Answer answer = one.answer();
            List<StatLogFile.Line> logged = linesOf.getOrDefault(user, List.of());
            boolean gotAnswer = answer.status() > 0;
            answered += gotAnswer ? 1 : 0;
            unansweredOrders += !gotAnswer && orderOf.containsKey(user) ? 1 : 0;
            if (gotAnswer && !answer.isJson() && logged.isEmpty()) {
                // The container's own page (Tomcat's HTML 400/404 once the webapp is stopping): the
                // request never reached the webapp, so it has no line, and it must have sold nothing.
                byTheContainer++;
                if (one.doneNanos() < sigterm) {
                    problems.add(user + ": the container answered " + answer + " before SIGTERM");
                } else if (orderOf.containsKey(user)) {
                    problems.add(user + ": the container answered " + answer + " but the request made order "
                            + orderOf.get(user));
                }
                continue;
            }
            if (logged.size() > 1) {
                problems.add(user + ": " + logged.size() + " lines for one request: " + logged);
            } else if (logged.isEmpty() && gotAnswer) {
                problems.add(user + ": answered " + answer + " but no stat.log line");
            } else if (logged.isEmpty() && orderOf.containsKey(user)) {
                problems.add(user + ": reached the node (order " + orderOf.get(user) + ") but no stat.log line");
            } else if (logged.size() == 1) {
                StatLogFile.Line line = logged.get(0);
                if (gotAnswer && (line.status() != answer.status() || !Integer.valueOf(line.result())
                        .equals(answer.code() == null ? 0 : answer.code()))) {
                    problems.add(user + ": answered " + answer + " but logged " + line.raw());
                }
                if (orderOf.containsKey(user) && !orderOf.get(user).equals(line.field("order"))) {
                    problems.add(user + ": order " + orderOf.get(user) + " in Redis but logged " + line.raw());
                }
            }
        }
        System.out.printf("%s: SIGTERM after %d of %d late buys were answered, %d in flight; %d answered in all"
                + " (%d by the container itself, once stopping), %d orders made, %d of them for buyers who got no"
                + " answer; %d stat.log lines for them%n",
                server.name(), answeredBeforeStop, BURST, inFlight, answered, byTheContainer, orderOf.size(),
                unansweredOrders,
                linesOf.entrySet().stream().filter(e -> e.getKey().startsWith("late-")).mapToInt(e -> e.getValue()
                        .size()).sum());
        assertEquals(List.of(), problems, "one stat.log line per answer a late buyer got from the webapp, and per"
                + " request that reached it, through SIGTERM; an answer of the container's own sold nothing");
        assertEquals(STOCK + orderOf.size(), redis.sold(STOCK_KEY), "Redis sold after the stop: the first "
                + STOCK + " and one per late order");
        assertTrue(server.log().contains(webappStoppedMarker()),
                () -> "the webapp was stopped, not killed: no \"" + webappStoppedMarker() + "\" in the log");
    }

    /** The late buyers' orders in Redis: user -> order id (at most one each). */
    private Map<String, String> lateOrders() {
        Map<String, String> orders = new HashMap<>();
        Keys keys = Keys.ofDefault(STOCK_KEY);
        try (Jedis jedis = redis.client()) {
            for (int i = 0; i < BURST; i++) {
                String held = jedis.hget(keys.history(), "late-" + i);
                List<String> mine = held == null ? List.of() : List.of(held.split(","));
                assertTrue(mine.size() <= 1, "late-" + i + " holds one order at most: " + mine);
                if (!mine.isEmpty()) {
                    orders.put("late-" + i, mine.get(0));
                }
            }
        }
        return orders;
    }

    /** The admin token the container's node reads from its file. */
    private static final String ADMIN_TOKEN = "deployed-war-admin-token-0123";

    private static HttpCall.Answer postAdmin(URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).header("X-Admin-Token", ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(15)).build();
        try {
            HttpResponse<String> response = HttpCall.newClient().send(request, HttpResponse.BodyHandlers.ofString());
            return new HttpCall.Answer(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            return new HttpCall.Answer(-1, "POST " + uri + " failed: " + e, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
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
