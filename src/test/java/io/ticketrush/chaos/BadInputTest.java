package io.ticketrush.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.queue.Place;
import io.ticketrush.queue.QueueTokens;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Malformed requests through Nginx to every endpoint of a cluster like ClusterTest's (four
 * embedded nodes running the WAR's web.xml, Nginx from the template, one Redis): each must be
 * answered 4xx with a JSON error, never a 500, an HTML page, a stack trace or Java exception
 * text, and must leave Redis exactly as it was (and so the order database, which is written only
 * from Redis's stream). Not a 503 either: bad input is refused before the ticket store, so a 503
 * (the store or the node failing) means a bad request got as far as Redis. Any other status a
 * case accepts, it names why.
 *
 * <p>Anonymous buying is off here, so a buy without a user is bad input too.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BadInputTest {
    private static final String STOCK_KEY = "ticket_hash_key";
    private static final int READ_TIMEOUT_MS = 10_000;
    /** What must never reach a buyer: pages, traces, Java names. */
    private static final Pattern LEAK = Pattern.compile(
            "(?i)exception|\\bat [\\w$.]+\\(|<html|<!doctype|<body|stack ?trace|caused by|\\bjava\\.|jakarta\\."
                    + "|org\\.eclipse|io\\.ticketrush|jetty|nginx|\\bnull pointer");
    private static final String[] ENDPOINTS = {"/buy/ticket", "/order", "/orders", "/pay", "/pay/callback",
        "/demo-pay/pay", "/stock", "/noop", "/queue", "/queue/join", "/queue/challenge", "/order/cancel",
        "/metrics", "/dashboard", "/dashboard/data", "/admin/reset-local", "/error", "/no/such/path", "/buy",
        "/buy/ticket/more", "/", "/index.html", "/WEB-INF/web.xml"};
    private static final Set<String> READ_ONLY = Set.of("/noop", "/", "/index.html", "/dashboard", "/metrics");
    /** The nodes' own monitoring hash, rewritten twice a second whatever the requests: not sale state. */
    private static final String NODE_STATS = Keys.nodeStats();
    private static final String[] WRONG_METHODS = {"PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
        "PROPFIND", "FOO"};
    private static final String LONG_VALID_USER = "u".repeat(64);
    private static final String READS_ONLY = "an endpoint that only reads may answer it";
    /** Queued sales, opening in an hour: one with a join puzzle, one without. */
    private static final String PUZZLED = "QP";
    private static final String QUEUED = "QQ";
    /** The buyers' token key (every node's rush.auth.keys.file) and the waiting rooms' key (rush.queue.key.file). */
    private static final OctetSequenceKey TOKEN_KEY = TestTokens.secret("bad-input");
    private static final byte[] ROOM_KEY = new byte[32];
    private static String alice;
    private static Sale queued;

    private static RedisServer redis;
    private static final List<EmbeddedNode> NODES = new ArrayList<>();
    private static NginxServer nginx;
    private static Path statDir;
    private static final AtomicInteger TRIED = new AtomicInteger();
    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final Map<String, String> FAILURES = new TreeMap<>();

    /** One malformed request, and what else besides a JSON 4xx may come back: never without saying why. */
    record Case(String name, RawHttp.Sender sender, boolean head, Set<Integer> alsoAllowed, String why) {
        Case {
            if (!alsoAllowed.isEmpty() && (why == null || why.isBlank())) {
                throw new IllegalArgumentException(name + ": allows " + alsoAllowed + " without saying why");
            }
        }
    }

    @BeforeAll
    static void startCluster() throws IOException {
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, 100);
        statDir = Files.createTempDirectory("rush-badinput-");
        Path tokenKeys = TestTokens.write(statDir.resolve("jwt-keys.json"), List.of(TOKEN_KEY));
        new Random().nextBytes(ROOM_KEY);
        Path roomKey = statDir.resolve("queue-key");
        Files.writeString(roomKey, Base64.getEncoder().encodeToString(ROOM_KEY));
        alice = TestTokens.hs256(TOKEN_KEY, "alice");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get))) {
            long opens = store.catalog().now() + 3_600_000;
            store.admin().create(new Sale(PUZZLED, PUZZLED, 10, opens, 0, 1, 60_000, 0, 0, true).withQueue(5, 8));
            queued = store.admin().create(new Sale(QUEUED, QUEUED, 10, opens, 0, 1, 60_000, 0, 0, true)
                    .withQueue(5, 0));
        }
        Map<Integer, Integer> upstream = new LinkedHashMap<>();
        for (int weight = 1; weight <= 4; weight++) {
            EmbeddedNode node = EmbeddedNode.start(redis.asNode(Map.of(
                    "rush.stock.key", STOCK_KEY,
                    "rush.stock.total", "100",
                    "rush.node.weight", String.valueOf(weight),
                    "rush.node.weights.total", "10",
                    "rush.anonymous", "false",
                    "rush.admin.token", "0123456789abcdef-bad-input",
                    "rush.pay.secret", Payments.SECRET,
                    "rush.statlog", statDir.resolve("stat.log").toString(),
                    "rush.auth.keys.file", tokenKeys.toString(),
                    "rush.queue.key.file", roomKey.toString())));
            NODES.add(node);
            upstream.put(node.port(), weight);
        }
        nginx = NginxServer.start(upstream);
    }

    @AfterAll
    static void stopCluster() {
        System.out.printf("bad input: %d malformed requests tried, %d passed, %d failed%n", TRIED.get(), PASSED.get(),
                FAILURES.size());
        FAILURES.forEach((name, why) -> System.out.println("  FAILED " + name + ": " + why));
        writeReport();
        if (nginx != null) {
            nginx.close();
        }
        NODES.forEach(EmbeddedNode::stop);
        if (redis != null) {
            redis.close();
        }
        TempFiles.deleteRecursively(statDir);
    }

    /** Every failed case with why, for whoever fixes them: target/bad-input-report.txt (empty when all pass). */
    private static void writeReport() {
        StringBuilder out = new StringBuilder();
        FAILURES.forEach((name, why) -> out.append("FAILED ").append(name).append(": ").append(why).append('\n'));
        try {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target", "bad-input-report.txt"), out);
        } catch (IOException e) {
            System.out.println("cannot write target/bad-input-report.txt: " + e);
        }
    }

    @TestFactory
    Stream<DynamicTest> every_malformed_request_gets_a_json_4xx_and_changes_nothing() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c)));
    }

    /**
     * What Jetty refuses before the webapp sees it: a node answers it in JSON itself, not only
     * behind Nginx (which refuses headers over 4 x 8 KB before Jetty could). Not counted above.
     */
    @Test
    void a_node_answers_what_jetty_refuses_before_the_webapp_in_json() throws IOException {
        String badBuy = "/buy/ticket?user=a%20b";
        Map<Case, Integer> refused = new LinkedHashMap<>();
        refused.put(plain("GET /buy%2Fticket", request("GET", "/buy%2Fticket")), 400);
        refused.put(plain("PUT /buy%2Fticket", request("PUT", "/buy%2Fticket", "Content-Length: 0")), 400);
        refused.put(plain("GET /buy//ticket", request("GET", "/buy//ticket")), 400);
        refused.put(plain("GET /buy/..%2Fticket", request("GET", "/buy/..%2Fticket")), 400);
        refused.put(plain("GET /buy/%FFticket", request("GET", "/buy/%FFticket")), 400);
        refused.put(plain("GET /buy/ticket#frag", request("GET", "/buy/ticket#frag")), 400);
        refused.put(plain("headers of 56 KB", request("GET", badBuy, flood(500, 100))), 431);
        // what Nginx lets through reaches the webapp, whose answer it is
        refused.put(plain("headers of 22 KB", request("GET", badBuy, flood(200, 100))), 400);
        int port = NODES.get(0).port();
        for (Map.Entry<Case, Integer> expected : refused.entrySet()) {
            Case c = expected.getKey();
            String before = snapshot();
            RawHttp.Response response = RawHttp.exchange(port, c.head(), READ_TIMEOUT_MS, c.sender());
            check(c, response, before, snapshot());
            assertEquals(expected.getValue(), response.status(), () -> c.name() + ": " + response);
        }
    }

    private void run(Case c) throws IOException {
        TRIED.incrementAndGet();
        String before = snapshot();
        RawHttp.Response response = RawHttp.exchange(nginx.port(), c.head(), READ_TIMEOUT_MS, c.sender());
        String after = snapshot();
        try {
            check(c, response, before, after);
            PASSED.incrementAndGet();
        } catch (AssertionError e) {
            synchronized (FAILURES) {
                FAILURES.put(c.name(), e.getMessage().lines().findFirst().orElse(""));
            }
            throw e;
        }
    }

    private static void check(Case c, RawHttp.Response response, String before, String after) {
        assertEquals(before, after, () -> "Redis changed: " + response);
        int status = response.status();
        assertTrue(status != 0, () -> "no HTTP answer: " + response);
        assertTrue(status / 100 == 4 || c.alsoAllowed().contains(status),
                () -> "status " + status + ", expected 4xx" + (c.alsoAllowed().isEmpty() ? ""
                        : " or " + c.alsoAllowed() + " (" + c.why() + ")") + ": " + response);
        if (c.head() || status == 200 && response.body().isEmpty() && c.alsoAllowed().contains(200)) {
            return; // HEAD, or OPTIONS answered with its Allow header
        }
        assertTrue(response.contentType().startsWith("application/json"),
                () -> "content type \"" + response.contentType() + "\", expected JSON: " + response);
        JsonObject json;
        try {
            JsonElement element = JsonParser.parseString(response.body());
            assertTrue(element.isJsonObject(), () -> "not a JSON object: " + response);
            json = element.getAsJsonObject();
        } catch (RuntimeException e) {
            throw new AssertionError("not JSON: " + response, e);
        }
        if (status != 200) {
            assertTrue(json.has("error") && json.get("error").isJsonPrimitive(),
                    () -> "a JSON error without \"error\": " + response);
            assertEquals(0, json.get("code").getAsInt(), () -> "an error's code: " + response);
        }
        assertTrue(!LEAK.matcher(response.body()).find(), () -> "the body leaks internals: " + response);
    }

    /** Everything a request could change: the key set, the stock, the order counter and stream. */
    private static String snapshot() {
        try (Jedis jedis = redis.client()) {
            Set<String> keys = new TreeSet<>(jedis.keys("*"));
            keys.remove(NODE_STATS);
            StringBuilder rooms = new StringBuilder();
            for (String sale : new String[] {PUZZLED, QUEUED}) {
                Keys k = Keys.of(sale, STOCK_KEY);
                rooms.append(' ').append(sale).append('=').append(new TreeMap<>(jedis.hgetAll(k.stock())))
                        .append(" places=").append(jedis.zcard(k.queue())).append(" passes=")
                        .append(jedis.zcard(k.queuePasses()));
            }
            return "dbsize=" + keys.size() + " keys=" + keys + " stock="
                    + new TreeMap<>(jedis.hgetAll(STOCK_KEY)) + " events="
                    + (jedis.exists(Keys.ofDefault(STOCK_KEY).orderStream())
                            ? jedis.xlen(Keys.ofDefault(STOCK_KEY).orderStream()) : 0) + rooms;
        }
    }

    // ------------------------------------------------------------------ the cases

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        wrongMethods(cases);
        hugeAndLong(cases);
        badEncoding(cases);
        missingAndRepeated(cases);
        numbers(cases);
        oddUserIds(cases);
        headers(cases);
        bodies(cases);
        protocol(cases);
        slowClients(cases);
        queuePaths(cases);
        return cases;
    }

    private static void wrongMethods(List<Case> cases) {
        for (String endpoint : ENDPOINTS) {
            // valid parameters: only the method is wrong, so a buy that went through would show
            String target = endpoint + query(endpoint);
            // a page or a plain servlet that only reads may answer HEAD, and OPTIONS with its Allow header
            boolean readOnly = READ_ONLY.contains(endpoint);
            for (String method : WRONG_METHODS) {
                String name = method + " " + target;
                RawHttp.Sender request = request(method, target, "Content-Length: 0");
                cases.add(readOnly && method.equals("OPTIONS") ? readOnly(name, request) : plain(name, request));
            }
            if (!endpoint.equals("/pay") && !endpoint.equals("/buy/ticket")) {
                cases.add(plain("POST " + target, request("POST", target, "Content-Length: 0")));
            }
            cases.add(readOnly ? new Case("HEAD " + target, request("HEAD", target), true, Set.of(200), READS_ONLY)
                    : new Case("HEAD " + target, request("HEAD", target), true, Set.of(), null));
        }
        cases.add(plain("GET /pay?order=1", request("GET", "/pay?order=1")));
        cases.add(plain("GET /admin/reset-local with the token", request("GET", "/admin/reset-local",
                "X-Admin-Token: 0123456789abcdef-bad-input")));
        cases.add(plain("POST /admin/reset-local with the token", request("POST", "/admin/reset-local",
                "X-Admin-Token: 0123456789abcdef-bad-input", "Content-Length: 0")));
        cases.add(plain("POST /admin/../admin/reset-local", request("POST", "/admin/../admin/reset-local",
                "X-Admin-Token: 0123456789abcdef-bad-input", "Content-Length: 0")));
        cases.add(plain("POST /%61dmin/reset-local", request("POST", "/%61dmin/reset-local",
                "X-Admin-Token: 0123456789abcdef-bad-input", "Content-Length: 0")));
        cases.add(plain("POST //admin/reset-local", request("POST", "//admin/reset-local",
                "X-Admin-Token: 0123456789abcdef-bad-input", "Content-Length: 0")));
    }

    /** A query that would be valid for the endpoint (a wrong method must still not act on it). */
    private static String query(String endpoint) {
        return switch (endpoint) {
            case "/buy/ticket" -> "?user=alice";
            case "/order" -> "?id=1";
            case "/orders" -> "?user=alice";
            case "/pay" -> "?order=1";
            case "/queue", "/queue/join", "/queue/challenge" -> "?sale=" + QUEUED;
            case "/order/cancel" -> "?id=1";
            default -> "";
        };
    }

    private static void hugeAndLong(List<Case> cases) {
        for (int size : new int[] {100 * 1024, 16 * 1024, 7_900, 6 * 1024}) {
            for (String endpoint : new String[] {"/buy/ticket", "/order", "/orders", "/stock", "/noop"}) {
                String param = endpoint.equals("/order") ? "id=" : "user=";
                RawHttp.Sender request = request("GET", endpoint + "?" + param + "a".repeat(size));
                String name = "GET " + endpoint + " with a " + size + "-byte query";
                // /stock and /noop read no parameters: answering them is right, if the request gets through
                cases.add(endpoint.equals("/stock") || endpoint.equals("/noop") ? readOnly(name, request)
                        : plain(name, request));
            }
            cases.add(plain("POST /pay with a " + size + "-byte query",
                    request("POST", "/pay?order=" + "1".repeat(size), "Content-Length: 0")));
            cases.add(plain("GET /buy/ticket with " + size + " bytes of repeated parameters",
                    request("GET", "/buy/ticket?" + "user=a&".repeat(size / 7))));
            cases.add(plain("GET a " + size + "-byte path", request("GET", "/buy/" + "x".repeat(size))));
        }
        cases.add(plain("GET /buy/ticket with 5000 distinct parameters",
                request("GET", "/buy/ticket?" + distinctParams(5000))));
    }

    private static String distinctParams(int n) {
        StringBuilder query = new StringBuilder();
        for (int i = 0; i < n; i++) {
            query.append(i == 0 ? "" : "&").append('p').append(i).append("=1");
        }
        return query.toString();
    }

    private static void badEncoding(List<Case> cases) {
        String[] values = {"%FF", "%C3%28", "%ED%A0%80", "%F4%90%80%80", "%C0%AF", "%", "%G0", "%2", "a%", "%00",
            "a%0Ab", "a%0D%0Ab", "%E2%80%AE", "%F0%9F%98%80", "%25", "%2525", "a+b", "%u0041", "%%", "a%20b"};
        for (String value : values) {
            cases.add(plain("GET /buy/ticket?user=" + value, request("GET", "/buy/ticket?user=" + value)));
            cases.add(plain("GET /buy/ticket?user=alice&rid=" + value,
                    request("GET", "/buy/ticket?user=alice&rid=" + value)));
            cases.add(plain("GET /order?id=" + value, request("GET", "/order?id=" + value)));
            cases.add(plain("GET /orders?user=" + value, request("GET", "/orders?user=" + value)));
            cases.add(plain("POST /pay?order=" + value, request("POST", "/pay?order=" + value, "Content-Length: 0")));
            cases.add(plain("GET /buy/ticket?" + value + "=alice", request("GET", "/buy/ticket?" + value + "=alice")));
        }
        String[] paths = {"/buy/%FFticket", "/buy/ticket%00", "/buy%2Fticket", "/buy/..%2Fticket", "/%2e%2e/%2e%2e/etc",
            "/buy/%", "/buy/%G0", "/buy/ticket%3Fuser=alice", "/buy/ticket;user=alice", "/buy/ticket;jsessionid=1",
            "/./buy/ticket", "/buy/./ticket", "/buy//ticket", "/buy/ticket/..", "/buy/ticket/../../..",
            "/\\buy\\ticket",
            "/buy/ticket#frag", "/%C0%AE%C0%AE/", "/WEB-INF/web.xml", "/META-INF/MANIFEST.MF", "/buy/ticket/%2e%2e"};
        for (String path : paths) {
            cases.add(plain("GET " + path, request("GET", path)));
        }
        // raw bytes the client did not percent-encode
        cases.add(plain("GET /buy/ticket?user=<0xFF 0xFE>", requestBytes("GET", bytes("/buy/ticket?user="),
                new byte[] {(byte) 0xFF, (byte) 0xFE})));
        cases.add(plain("GET /buy/<0xC3 0x28>", requestBytes("GET", bytes("/buy/"), new byte[] {(byte) 0xC3, 0x28})));
        cases.add(plain("GET /order?id=<0x80>", requestBytes("GET", bytes("/order?id="), new byte[] {(byte) 0x80})));
        cases.add(plain("GET /buy/ticket?user=<tab>", request("GET", "/buy/ticket?user=a\tb")));
        cases.add(plain("GET /buy/ticket?user=<DEL>", request("GET", "/buy/ticket?user=a\u007fb")));
    }

    private static void missingAndRepeated(List<Case> cases) {
        String[] targets = {"/buy/ticket", "/buy/ticket?", "/buy/ticket?user", "/buy/ticket?user=",
            "/buy/ticket?=alice",
            "/buy/ticket?USER=alice", "/buy/ticket?user=alice&user=bob", "/buy/ticket?user=alice&user=alice",
            "/buy/ticket?user=alice&user=", "/buy/ticket?user=alice&rid=1&rid=2", "/buy/ticket?user[]=alice",
            "/buy/ticket?user=alice&&user=bob", "/order", "/order?", "/order?id", "/order?id=", "/order?id=1&id=2",
            "/order?id=1&id=1", "/order?order=1", "/orders", "/orders?user=", "/orders?user=alice&user=bob",
            "/orders?users=alice"};
        for (String target : targets) {
            cases.add(plain("GET " + target, request("GET", target)));
        }
        String[] pays = {"/pay", "/pay?", "/pay?order=", "/pay?order", "/pay?id=1", "/pay?order=1&order=2",
            "/pay?order=1&order=1", "/pay?order=1&user=", "/pay?order=1&user=a&user=b"};
        for (String target : pays) {
            cases.add(plain("POST " + target, request("POST", target, "Content-Length: 0")));
        }
    }

    private static void numbers(List<Case> cases) {
        String[] ids = {"-1", "-0", "0", "00", "1e3", "0x1F", "+1", "1.0", "1,2", "%201", "1%20",
            "99999999999999999999",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "999999999999999999",
            "18446744073709551616", "NaN", "Infinity", "-Infinity", "%D9%A1%D9%A2", "%EF%BC%91", "1".repeat(1000),
            "0".repeat(5000), "null", "undefined", "true", "[1]", "%7B%7D"};
        for (String id : ids) {
            cases.add(plain("GET /order?id=" + abbreviate(id), request("GET", "/order?id=" + id)));
            cases.add(plain("POST /pay?order=" + abbreviate(id), request("POST", "/pay?order=" + id,
                    "Content-Length: 0")));
        }
    }

    private static void oddUserIds(List<Case> cases) {
        String[] users = {LONG_VALID_USER + "u", "u".repeat(1000), "u".repeat(6000), "%C3%A9l%C3%A8ve", "a%20b",
            "%3Cscript%3Ealert(1)%3C/script%3E", "'%20OR%201=1--", "..%2F..%2Fetc%2Fpasswd", "a:b", "rush:order:1", "*",
            "a,b", "a%2Cresult:1", "a%0Aport:1", "%09", "%20", "a;b", "a%26user=b", "a/b", "%E2%80%8B",
            "%F0%9F%8E%AB", "ticket_hash_key%20", "a%22b", "a\\b", "%5C%22"};
        for (String user : users) {
            cases.add(plain("GET /buy/ticket?user=" + abbreviate(user), request("GET", "/buy/ticket?user=" + user)));
            cases.add(plain("GET /orders?user=" + abbreviate(user), request("GET", "/orders?user=" + user)));
            cases.add(plain("POST /pay?order=1&user=" + abbreviate(user), request("POST", "/pay?order=1&user=" + user,
                    "Content-Length: 0")));
            cases.add(plain("GET /buy/ticket?user=alice&rid=" + abbreviate(user),
                    request("GET", "/buy/ticket?user=alice&rid=" + user)));
        }
    }

    private static void headers(List<Case> cases) {
        String target = "/buy/ticket?user=a%20b";
        cases.add(plain("200 headers of 100 bytes", request("GET", target, flood(200, 100))));
        cases.add(plain("1000 headers of 100 bytes", request("GET", target, flood(1000, 100))));
        cases.add(plain("5000 tiny headers", request("GET", target, flood(5000, 1))));
        cases.add(plain("one 16 KB header", request("GET", target, "X-Big: " + "b".repeat(16 * 1024))));
        cases.add(plain("one 7 KB header", request("GET", target, "X-Big: " + "b".repeat(7 * 1024))));
        cases.add(plain("a 64 KB cookie", request("GET", target, "Cookie: c=" + "c".repeat(64 * 1024))));
        cases.add(plain("a header line without a colon", request("GET", target, "NoColonHere")));
        cases.add(plain("a header name with a space", request("GET", target, "Bad Name: x")));
        cases.add(plain("a header with a NUL byte", request("GET", target, "X-Nul: a\u0000b")));
        cases.add(plain("two Host headers", raw("GET " + target + " HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
                + "Connection: close\r\n\r\n")));
        cases.add(plain("no Host header in HTTP/1.1", raw("GET " + target + " HTTP/1.1\r\nConnection: close\r\n\r\n")));
        cases.add(plain("a Host with a path", raw("GET " + target + " HTTP/1.1\r\nHost: a/b\r\n"
                + "Connection: close\r\n\r\n")));
        cases.add(plain("Content-Length: -1", request("POST", "/pay?order=x", "Content-Length: -1")));
        cases.add(plain("Content-Length: abc", request("POST", "/pay?order=x", "Content-Length: abc")));
        cases.add(plain("two different Content-Lengths", request("POST", "/pay?order=x", "Content-Length: 1",
                "Content-Length: 2")));
        cases.add(plain("Content-Length: 99999999999999999999", request("POST", "/pay?order=x",
                "Content-Length: 99999999999999999999")));
        cases.add(plain("Content-Length and Transfer-Encoding", raw("POST /pay?order=x HTTP/1.1\r\nHost: a\r\n"
                + "Connection: close\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")));
        // the protocol's own answer, 501, is right here as long as it is JSON
        cases.add(protocol("Transfer-Encoding: gzip", 501, raw("POST /pay?order=x HTTP/1.1\r\nHost: a\r\n"
                + "Connection: close\r\nTransfer-Encoding: gzip\r\n\r\n")));
        cases.add(plain("a bad chunk size", raw("POST /pay?order=x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")));
        cases.add(plain("Expect: 100-continue and no body", raw("POST /pay?order=x HTTP/1.1\r\nHost: a\r\n"
                + "Connection: close\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")));
        cases.add(plain("Expect: something-else", request("POST", "/pay?order=x", "Expect: teapot",
                "Content-Length: 0")));
        cases.add(plain("X-Admin-Token on a buy", request("GET", target, "X-Admin-Token: " + "t".repeat(40))));
        cases.add(plain("an X-Request-Id of 10 KB", request("GET", target, "X-Request-Id: " + "r".repeat(10_000))));
        cases.add(plain("X-Forwarded-For spoofing", request("GET", target, "X-Forwarded-For: 10.0.0.1, <script>")));
        cases.add(plain("Upgrade: h2c", request("GET", target, "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__",
                "Connection: Upgrade, HTTP2-Settings")));
        cases.add(plain("Upgrade: websocket", request("GET", target, "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13")));
        cases.add(plain("Range: bytes=0-1", request("GET", target, "Range: bytes=0-1")));
        cases.add(plain("a header folded onto two lines", raw("GET " + target + " HTTP/1.1\r\nHost: a\r\n"
                + "X-Fold: a\r\n b\r\nConnection: close\r\n\r\n")));
    }

    private static String[] flood(int count, int size) {
        String[] headers = new String[count];
        for (int i = 0; i < count; i++) {
            headers[i] = "X-Flood-" + i + ": " + "f".repeat(size);
        }
        return headers;
    }

    private static void bodies(List<Case> cases) {
        String form = "Content-Type: application/x-www-form-urlencoded";
        cases.add(plain("POST /pay with a form order=abc", post("/pay", "order=abc", form)));
        cases.add(plain("POST /pay with a form order=%FF", post("/pay", "order=%FF", form)));
        cases.add(plain("POST /pay with a form order=1&order=2", post("/pay", "order=1&order=2", form)));
        cases.add(plain("POST /pay with order in the query and the form", post("/pay?order=1", "order=2", form)));
        cases.add(plain("POST /pay with a form of 500 KB", post("/pay", "order=1&x=" + "x".repeat(500 * 1024), form)));
        cases.add(plain("POST /pay with 20000 form parameters", post("/pay", distinctParams(20_000), form)));
        cases.add(plain("POST /pay with a 2 MB body", post("/pay", "x".repeat(2 * 1024 * 1024), form)));
        cases.add(plain("POST /pay with a JSON body", post("/pay", "{\"order\":1}", "Content-Type: application/json")));
        cases.add(plain("POST /pay with a broken multipart body", post("/pay", "--b\r\nContent-Disposition: form-data;"
                + " name=\"order\"\r\n\r\nabc\r\n", "Content-Type: multipart/form-data; boundary=b")));
        cases.add(plain("POST /pay with a multipart body without a boundary", post("/pay", "garbage",
                "Content-Type: multipart/form-data")));
        cases.add(plain("POST /pay with a form in a bad charset", post("/pay", "order=abc",
                "Content-Type: application/x-www-form-urlencoded; charset=no-such-charset")));
        cases.add(plain("POST /pay with binary junk", post("/pay",
                new String(junk(4096, 1), StandardCharsets.ISO_8859_1),
                form)));
        cases.add(plain("POST /buy/ticket with a form user=<bad>", post("/buy/ticket", "user=a%20b", form)));
        cases.add(plain("POST /buy/ticket with a form user twice", post("/buy/ticket", "user=alice&user=bob", form)));
    }

    private static void protocol(List<Case> cases) {
        cases.add(plain("HTTP/1.0 GET /buy/ticket?user=a%20b", raw("GET /buy/ticket?user=a%20b HTTP/1.0\r\n\r\n")));
        cases.add(plain("HTTP/1.0 GET /buy/ticket", raw("GET /buy/ticket HTTP/1.0\r\n\r\n")));
        cases.add(plain("HTTP/1.0 GET /order?id=x", raw("GET /order?id=x HTTP/1.0\r\n\r\n")));
        cases.add(plain("HTTP/1.0 POST /pay", raw("POST /pay HTTP/1.0\r\nContent-Length: 0\r\n\r\n")));
        cases.add(plain("HTTP/1.0 DELETE /buy/ticket?user=alice",
                raw("DELETE /buy/ticket?user=alice HTTP/1.0\r\n\r\n")));
        // 505 HTTP Version Not Supported is the protocol's own answer: right, as long as it is JSON
        cases.add(protocol("HTTP/2.0 in the request line", 505, raw("GET /stock HTTP/2.0\r\nHost: a\r\n\r\n")));
        cases.add(protocol("HTTP/9.9 in the request line", 505, raw("GET /stock HTTP/9.9\r\nHost: a\r\n\r\n")));
        cases.add(plain("HTTP/1.1x in the request line", raw("GET /stock HTTP/1.1x\r\nHost: a\r\n\r\n")));
        cases.add(plain("HTTPS/1.1 in the request line", raw("GET /stock HTTPS/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("the HTTP/2 preface", raw("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")));
        cases.add(plain("a request line of one word", raw("HELLO\r\n\r\n")));
        cases.add(plain("a method alone", raw("GET\r\n\r\n")));
        cases.add(plain("a lower-case method", raw("get /stock HTTP/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("a request line with a fourth word", raw("GET /stock HTTP/1.1 extra\r\nHost: a\r\n\r\n")));
        cases.add(plain("spaces inside the method", raw("G E T /stock HTTP/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("a target of *", raw("GET * HTTP/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("a target without a slash", raw("GET buy/ticket HTTP/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("an absolute target with a bad user", raw("GET http://evil.example/buy/ticket?user=a%20b"
                + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")));
        cases.add(plain("an absolute target with a bad scheme", raw("GET ftp://evil.example/buy/ticket HTTP/1.1\r\n"
                + "Host: a\r\n\r\n")));
        cases.add(plain("bare LF line ends",
                raw("GET /buy/ticket?user=a%20b HTTP/1.1\nHost: a\nConnection: close\n\n")));
        cases.add(plain("NUL bytes", raw("\u0000\u0000\u0000\u0000\r\n\r\n")));
        cases.add(plain("a TLS ClientHello", send(tlsHello())));
        cases.add(plain("1 KB of binary junk", send(junk(1024, 7))));
        cases.add(plain("16 KB of binary junk", send(junk(16 * 1024, 11))));
        cases.add(plain("a 10 KB request line of junk", raw("GET /" + "%zz".repeat(3400) + " HTTP/1.1\r\n\r\n")));
        cases.add(plain("a request line with a control character",
                raw("GET /st\u0001ock HTTP/1.1\r\nHost: a\r\n\r\n")));
        cases.add(plain("a pipelined bad request after a good one", raw("GET /buy/ticket?user=a%20b HTTP/1.1\r\n"
                + "Host: a\r\n\r\nGARBAGE\r\n\r\n")));
    }

    private static void slowClients(List<Case> cases) {
        cases.add(plain("a bad buy sent a byte at a time", out -> {
            for (byte b : bytes("GET /buy/ticket?user=a%20b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")) {
                out.write(b);
                out.flush();
                RawHttp.pause(10);
            }
        }));
        cases.add(plain("a bad pay whose body stalls for a second", out -> {
            out.write(bytes("POST /pay HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                    + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\n\r\norder"));
            out.flush();
            RawHttp.pause(1000);
            out.write(bytes("=abc"));
        }));
        cases.add(plain("a bad buy answered while 50 slow clients hold connections", out -> {
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    Socket socket = new Socket(InetAddress.getLoopbackAddress(), nginx.port());
                    socket.getOutputStream().write(bytes("GET /buy/ticket?user=slow" + i + " HTTP/1.1\r\nHost: a\r\n"));
                    idle.add(socket);
                }
                long start = System.nanoTime();
                out.write(bytes("GET /buy/ticket?user=a%20b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
                out.flush();
                if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(2)) {
                    fail("sending took over 2 s with slow clients connected");
                }
            } finally {
                for (Socket socket : idle) {
                    socket.close();
                }
            }
        }));
    }

    /** The waiting room's paths and the cancel, each with a valid buyer's token unless the token is the fault. */
    private static void queuePaths(List<Case> cases) {
        String bearer = "Authorization: Bearer " + alice;
        String[] sales = {"", "&sale=", "a%20b", "a/b", "%FF", "x".repeat(100), "NOSUCH", "QQ&sale=QP", "QQ&sale=QQ",
            "rush:{QQ}", "*"};
        for (String sale : sales) {
            String query = sale.startsWith("&") ? "?" + sale.substring(1) : sale.isEmpty() ? "" : "?sale=" + sale;
            cases.add(plain("POST /queue/join" + abbreviate(query), request("POST", "/queue/join" + query, bearer,
                    "Content-Length: 0")));
            cases.add(plain("GET /queue" + abbreviate(query), request("GET", "/queue" + query, bearer,
                    "X-Queue-Ticket: x")));
            cases.add(plain("GET /queue/challenge" + abbreviate(query), request("GET", "/queue/challenge" + query,
                    bearer)));
        }
        // not a queued sale: the default one is open to all
        cases.add(plain("POST /queue/join of a sale without a room", request("POST", "/queue/join?sale=" + Sale.DEFAULT,
                bearer, "Content-Length: 0")));
        cases.add(plain("GET /queue/challenge of a sale without a room", request("GET", "/queue/challenge?sale="
                + Sale.DEFAULT, bearer)));
        // who asks: no token, a bad one, another scheme
        for (String who : new String[] {null, "Authorization: Bearer", "Authorization: Bearer x.y.z",
            "Authorization: Basic YWxpY2U6eA==", "Authorization: Bearer " + alice.substring(0, alice.length() - 4) + "AAAA",
            "Authorization: Bearer " + TestTokens.hs256(TestTokens.secret("bad-input"), "alice")}) {
            String[] auth = who == null ? new String[0] : new String[] {who};
            String shown = who == null ? "no token" : abbreviate(who);
            cases.add(plain("POST /queue/join with " + shown, request("POST", "/queue/join?sale=" + QUEUED,
                    Stream.concat(Stream.of(auth), Stream.of("Content-Length: 0")).toArray(String[]::new))));
            cases.add(plain("GET /queue with " + shown, request("GET", "/queue?sale=" + QUEUED,
                    Stream.concat(Stream.of(auth), Stream.of("X-Queue-Ticket: " + ticket(queued, "alice", 0)))
                            .toArray(String[]::new))));
            cases.add(plain("GET /queue/challenge with " + shown, request("GET", "/queue/challenge?sale=" + QUEUED,
                    auth)));
            cases.add(plain("POST /order/cancel with " + shown, request("POST", "/order/cancel?id=1",
                    Stream.concat(Stream.of(auth), Stream.of("Content-Length: 0")).toArray(String[]::new))));
        }
        // the puzzle's proof: none, not base64, not JSON, not ALTCHA's, forged
        String join = "/queue/join?sale=" + PUZZLED;
        cases.add(plain("POST /queue/join of a puzzled sale without a proof", request("POST", join, bearer,
                "Content-Length: 0")));
        for (String proof : new String[] {"", "!!!", "e30=", base64("[]"), base64("null"), base64("{\"number\":1}"),
            base64("{\"algorithm\":\"SHA-256\",\"challenge\":\"00\",\"number\":-1,\"salt\":\"s\","
                    + "\"signature\":\"00\"}"),
            base64("{\"algorithm\":\"MD5\",\"challenge\":\"00\",\"number\":1,\"salt\":\"s\",\"signature\":\"00\"}"),
            base64("{\"algorithm\":\"SHA-256\",\"challenge\":\"" + "a".repeat(64) + "\",\"number\":1,"
                    + "\"salt\":\"" + PUZZLED + "?expires=99999999999\",\"signature\":\"" + "b".repeat(64) + "\"}"),
            "a".repeat(6000)}) {
            cases.add(plain("POST /queue/join with X-Queue-Proof " + abbreviate(proof), request("POST", join, bearer,
                    "X-Queue-Proof: " + proof, "Content-Length: 0")));
        }
        // the queue ticket: none, malformed, forged, another buyer's, another sale's, of a reset sale, a pass
        String poll = "/queue?sale=" + QUEUED;
        cases.add(plain("GET /queue without a ticket", request("GET", poll, bearer)));
        QueueTokens other = QueueTokens.ofRandomKey();
        Sale puzzled = new Sale(PUZZLED, PUZZLED, 10, queued.opensAt(), 0, 1, 60_000, 0, 0, true).withQueue(5, 8);
        Map<String, String> tickets = new LinkedHashMap<>();
        tickets.put("empty", "");
        tickets.put("no dot", "abc");
        tickets.put("not base64", "!!.!!");
        tickets.put("of 1000 bytes", "a".repeat(500) + "." + "b".repeat(500));
        tickets.put("of another key", other.ticket(queued, "alice", new Place("", 0, false)));
        tickets.put("of another buyer", ticket(queued, "bob", 0));
        tickets.put("of another sale", ticket(puzzled, "alice", 0));
        tickets.put("of the sale before a reset", new QueueTokens(ROOM_KEY).ticket(new Sale(QUEUED, QUEUED, 10,
                queued.opensAt(), 0, 1, 60_000, queued.generation() + 1, 0, true).withQueue(5, 0), "alice",
                new Place("", 0, false)));
        tickets.put("that is a pass", new QueueTokens(ROOM_KEY).pass(queued, "alice", Long.MAX_VALUE));
        String good = ticket(queued, "alice", 0);
        tickets.put("with its signature cut", good.substring(0, good.length() - 2));
        for (Map.Entry<String, String> t : tickets.entrySet()) {
            cases.add(plain("GET /queue with a ticket " + t.getKey(), request("GET", poll, bearer,
                    "X-Queue-Ticket: " + t.getValue())));
        }
        cases.add(plain("GET /queue with a waitlist given twice", request("GET", poll + "&waitlist=1&waitlist=0",
                bearer, "X-Queue-Ticket: " + good)));
        cases.add(plain("GET /queue with two tickets", request("GET", poll, bearer, "X-Queue-Ticket: " + good,
                "X-Queue-Ticket: " + ticket(queued, "bob", 0))));
        // the cancel: missing, empty, repeated, odd order ids
        for (String id : new String[] {"", "?id", "?id=", "?id=1&id=2", "?order=1", "?id=-1", "?id=0", "?id=abc",
            "?id=99999999999999999999", "?id=1e3", "?id=%FF", "?id=" + "9".repeat(1000), "?id=rush:order:1",
            "?id=*"}) {
            cases.add(plain("POST /order/cancel" + abbreviate(id), request("POST", "/order/cancel" + id, bearer,
                    "Content-Length: 0")));
        }
    }

    /** {@code user}'s ticket for {@code sale} under the rooms' key, at {@code rank} (0: before the opening). */
    private static String ticket(Sale sale, String user, long rank) {
        return new QueueTokens(ROOM_KEY).ticket(sale, user, new Place(rank == 0 ? "" : "0.5", rank, false));
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ building requests

    private static Case plain(String name, RawHttp.Sender sender) {
        return new Case(name, sender, false, Set.of(), null);
    }

    /** A request HTTP itself has an answer for ({@code status}, a 5xx that is not the server failing). */
    private static Case protocol(String name, int status, RawHttp.Sender sender) {
        return new Case(name, sender, false, Set.of(status), "HTTP's own answer to it, not a failure");
    }

    /** A request to an endpoint that only reads: a 200 is a right answer too. */
    private static Case readOnly(String name, RawHttp.Sender sender) {
        return new Case(name, sender, false, Set.of(200), READS_ONLY);
    }

    private static RawHttp.Sender send(byte[] bytes) {
        return out -> out.write(bytes);
    }

    private static RawHttp.Sender raw(String request) {
        return send(bytes(request));
    }

    /** {@code METHOD target HTTP/1.1} with a Host, Connection: close and {@code headers}. */
    private static RawHttp.Sender request(String method, String target, String... headers) {
        return raw(method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + String.join("", Stream.of(headers).map(h -> h + "\r\n").toList()) + "\r\n");
    }

    private static RawHttp.Sender requestBytes(String method, byte[] target, byte[] more) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(method + " "));
        out.writeBytes(target);
        out.writeBytes(more);
        out.writeBytes(bytes(" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        return send(out.toByteArray());
    }

    private static RawHttp.Sender post(String target, String body, String contentType) {
        byte[] content = body.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes("POST " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + contentType
                + "\r\nContent-Length: " + content.length + "\r\n\r\n"));
        out.writeBytes(content);
        return send(out.toByteArray());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] junk(int size, long seed) {
        byte[] junk = new byte[size];
        new Random(seed).nextBytes(junk);
        return junk;
    }

    /** The start of a TLS 1.2 ClientHello, as a browser sends to an https:// URL on this port. */
    private static byte[] tlsHello() {
        byte[] hello = {0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03};
        byte[] out = new byte[hello.length + 40];
        System.arraycopy(hello, 0, out, 0, hello.length);
        return out;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 20) + "...(" + text.length() + " chars)";
    }
}
