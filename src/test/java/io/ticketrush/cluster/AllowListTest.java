package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.RawExchange;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TcpProxy;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Nginx's allow-list (nginx-conf/nginx.conf) through real Nginx in front of two real nodes, each
 * behind a {@link TcpProxy} that counts every byte that reaches it: the disguises of /admin and of
 * the WAR's private folders are answered by Nginx's own JSON 404 (or 400) and not one byte of them
 * reaches a node, from a stranger (127.0.0.2) and from a trusted address alike; the operator
 * endpoints are Nginx's JSON 403 to a stranger; every public path does reach a node.
 *
 * <p>The nodes serve /admin on their public port (as before issue 18), with a token, so each attack
 * is also sent straight to a node: it reaches it (the byte count sees it), and what the node answers
 * is printed, the table docs/architecture.md ("Nginx") shows.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AllowListTest {
    private static final String STOCK_KEY = "ticket_hash_key";
    private static final int TIMEOUT_MS = 10_000;
    private static final InetAddress STRANGER = RawExchange.address("127.0.0.2");
    private static final InetAddress TRUSTED = RawExchange.address("127.0.0.1");
    /** Nginx's own bodies (nginx.conf's _rush_error pages), which no node writes word for word. */
    private static final Map<Integer, String> NGINX_BODY = Map.of(
            400, "{\"code\":0,\"msg\":\"bad request\",\"error\":\"bad_request\",\"data\":null}",
            403, "{\"code\":0,\"msg\":\"operator endpoint: trusted addresses only\",\"error\":\"forbidden\","
                    + "\"data\":null}",
            404, "{\"code\":0,\"msg\":\"no such endpoint\",\"error\":\"not_found\",\"data\":null}");

    private static RedisServer redis;
    private static final List<EmbeddedNode> NODES = new ArrayList<>();
    private static final List<TcpProxy> PROXIES = new ArrayList<>();
    private static NginxServer nginx;
    private static Path statDir;
    private static final Map<String, String> NODE_WOULD = new LinkedHashMap<>();

    /** A request and what Nginx must answer it. */
    record Attack(String method, String target, int status) {
        @Override
        public String toString() {
            return method + " " + target;
        }
    }

    /** The attacks and their relatives; 400 where Nginx refuses the path as broken. */
    static final List<Attack> ATTACKS = List.of(
            new Attack("GET", "/admin", 404),
            new Attack("POST", "/admin", 404),
            new Attack("GET", "/admin/", 404),
            new Attack("POST", "/admin/sales/reset", 404),
            new Attack("POST", "/admin;x/sales/reset", 404),
            new Attack("POST", "/admin;/sales", 404),
            new Attack("GET", "/%61dmin/sales", 404),
            new Attack("GET", "/%2561dmin/sales", 404),
            new Attack("POST", "//admin/sales", 404),
            new Attack("GET", "///admin", 404),
            new Attack("GET", "/./admin", 404),
            new Attack("GET", "/x/../admin", 404),
            new Attack("GET", "/ADMIN", 404),
            new Attack("GET", "/Admin/sales", 404),
            new Attack("GET", "/buy/ticket/../../admin", 404),
            new Attack("GET", "/buy/ticket/..;/..;/admin", 404),
            new Attack("GET", "/buy/..;/admin/sales", 404),
            new Attack("POST", "/admin%2Fsales%2Freset", 404),
            new Attack("GET", "/buy%2Fticket", 404),
            new Attack("GET", "/buy%2fticket?user=eve", 404),
            new Attack("GET", "/buy/ticket%3Bx", 404),
            new Attack("GET", "/%62uy/ticket", 404),
            new Attack("GET", "/buy/./ticket", 404),
            new Attack("GET", "/x/../buy/ticket", 404),
            new Attack("GET", "//buy/ticket", 404),
            new Attack("GET", "/%2e/admin", 404),
            new Attack("GET", "/%2e%2e/admin", 400),
            new Attack("GET", "/../admin", 400),
            new Attack("GET", "/WEB-INF/web.xml", 404),
            new Attack("GET", "/web-inf/web.xml", 404),
            new Attack("GET", "/WEB-INF/jetty-base/etc/ticket-rush.xml", 404),
            new Attack("GET", "/META-INF/", 404),
            new Attack("GET", "/META-INF/MANIFEST.MF", 404),
            new Attack("PROPFIND", "/WEB-INF/", 404),
            new Attack("DELETE", "/admin/sales", 404),
            new Attack("GET", "/buy/ticket;jsessionid=x", 404),
            new Attack("GET", "/buy/ticket/", 404),
            new Attack("GET", "/Buy/Ticket", 404),
            new Attack("GET", "/STOCK", 404),
            new Attack("GET", "/stock/", 404),
            new Attack("GET", "/error", 404),
            new Attack("GET", "/index.html/..;/admin", 404),
            new Attack("GET", "/js/../admin", 404));

    /** What the public may reach (a node answers each, whatever it answers). */
    static final List<String> PUBLIC = List.of("/", "/index.html", "/dashboard", "/dashboard.html", "/css/rush.css",
            "/js/buy.js", "/js/sales.js", "/js/dashboard.js", "/sales", "/noop", "/orders?user=amy", "/order?id=1",
            "/pay", "/pay/callback", "/login", "/demo-pay/pay", "/demo-pay/", "/queue?sale=Q", "/queue/join?sale=Q",
            "/queue/challenge?sale=Q", "/queue/leave?sale=Q", "/order/cancel?id=1");

    /** Only trusted addresses read these. */
    static final List<String> OPERATOR = List.of("/stock", "/metrics", "/dashboard/data");

    @BeforeAll
    static void startCluster() throws Exception {
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, 100);
        statDir = Files.createTempDirectory("rush-allow-list-");
        Map<Integer, Integer> upstream = new LinkedHashMap<>();
        for (int weight = 1; weight <= 2; weight++) {
            EmbeddedNode node = EmbeddedNode.start(redis.asNode(Map.of(
                    "rush.redis.port", String.valueOf(redis.port()),
                    "rush.stock.key", STOCK_KEY,
                    "rush.stock.total", "100",
                    "rush.node.weight", String.valueOf(weight),
                    "rush.node.weights.total", "3",
                    "rush.admin.token", "0123456789abcdef-allow-list",
                    "rush.statlog", statDir.resolve("stat.log").toString())));
            NODES.add(node);
            TcpProxy proxy = TcpProxy.to(node.port());
            PROXIES.add(proxy);
            upstream.put(proxy.port(), weight);
        }
        nginx = NginxServer.start(upstream);
    }

    @AfterAll
    static void stopCluster() {
        System.out.println("what a node answers each attack sent straight to it (Nginx answers them all itself):");
        NODE_WOULD.forEach((attack, node) -> System.out.printf("  %-45s %s%n", attack, node));
        if (nginx != null) {
            nginx.close();
        }
        PROXIES.forEach(TcpProxy::close);
        NODES.forEach(EmbeddedNode::stop);
        if (redis != null) {
            redis.close();
        }
        TempFiles.deleteRecursively(statDir);
    }

    @TestFactory
    Stream<DynamicTest> every_attack_is_answered_by_nginx_itself_and_reaches_no_node() {
        return ATTACKS.stream().map(attack -> DynamicTest.dynamicTest(attack.toString(), () -> {
            for (InetAddress from : List.of(STRANGER, TRUSTED)) {
                String redisBefore = snapshot();
                long before = bytesToNodes();
                RawExchange.Answer answer = RawExchange.send(from, nginx.port(), attack.method(), attack.target(),
                        TIMEOUT_MS);
                String who = attack + " from " + from.getHostAddress() + ": " + answer;
                assertEquals(attack.status(), answer.status(), who);
                assertTrue(answer.contentType().startsWith("application/json"), who);
                assertEquals(NGINX_BODY.get(attack.status()), answer.body(), who);
                assertEquals(before, bytesToNodes(), () -> "bytes reached a node: " + who);
                assertEquals(redisBefore, snapshot(), () -> "Redis changed: " + who);
            }
            // the same request sent straight to a node: the count sees it arrive
            long before = bytesToNodes();
            RawExchange.Answer direct = RawExchange.send(TRUSTED, PROXIES.get(0).port(), attack.method(),
                    attack.target(), TIMEOUT_MS);
            assertTrue(bytesToNodes() > before, () -> attack + " sent to a node did not reach it: " + direct);
            synchronized (NODE_WOULD) {
                NODE_WOULD.put(attack.toString(), direct.status() + " " + direct.body());
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> every_public_path_reaches_a_node_from_a_stranger() {
        return PUBLIC.stream().map(path -> DynamicTest.dynamicTest(path, () -> {
            String method = path.startsWith("/pay") || path.startsWith("/demo-pay/pay") || path.equals("/login")
                    || path.startsWith("/queue/join") || path.startsWith("/queue/leave") || path.startsWith("/order/cancel")
                    ? "POST" : "GET";
            long before = bytesToNodes();
            RawExchange.Answer answer = RawExchange.send(STRANGER, nginx.port(), method, path, TIMEOUT_MS);
            assertTrue(bytesToNodes() > before, () -> method + " " + path + " did not reach a node: " + answer);
            assertNotEquals(-1, answer.status(), answer::toString);
            assertNotEquals(NGINX_BODY.get(404), answer.body(), () -> path + " refused by Nginx: " + answer);
        }));
    }

    @TestFactory
    Stream<DynamicTest> operator_endpoints_answer_trusted_addresses_only() {
        return OPERATOR.stream().map(path -> DynamicTest.dynamicTest(path, () -> {
            long before = bytesToNodes();
            RawExchange.Answer refused = RawExchange.send(STRANGER, nginx.port(), "GET", path, TIMEOUT_MS);
            assertEquals(403, refused.status(), refused::toString);
            assertTrue(refused.contentType().startsWith("application/json"), refused::toString);
            assertEquals(NGINX_BODY.get(403), refused.body());
            assertEquals(before, bytesToNodes(), () -> "a stranger's " + path + " reached a node");

            RawExchange.Answer served = RawExchange.send(TRUSTED, nginx.port(), "GET", path, TIMEOUT_MS);
            assertEquals(200, served.status(), served::toString);
            assertTrue(bytesToNodes() > before, () -> "a trusted " + path + " did not reach a node");
        }));
    }

    private static long bytesToNodes() {
        return PROXIES.stream().mapToLong(TcpProxy::requestBytes).sum();
    }

    /** Everything in Redis but the nodes' own reports, rewritten twice a second whatever the requests. */
    private static String snapshot() {
        try (Jedis jedis = redis.client()) {
            Set<String> keys = new TreeSet<>(jedis.keys("*"));
            keys.remove(Keys.nodeStats());
            StringBuilder all = new StringBuilder();
            for (String key : keys) {
                byte[] dump = jedis.dump(key);
                all.append(key).append('=').append(dump == null ? "gone" : HexFormat.of().formatHex(dump))
                        .append('\n');
            }
            return all.toString();
        }
    }
}
