package io.ticketrush.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.RedisSnapshot;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import io.ticketrush.writer.OrderEntries;
import io.ticketrush.writer.OrderStore;
import io.ticketrush.writer.OrderWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What the archive's tests share (docs/archive.md): a real redis-server, a real H2 file written by a
 * real order writer ({@link Writer}, started by the test), and a node that archives
 * (rush.sale.retention.seconds=1, a round every 100 ms); finished sales made through the node, and
 * what Redis and the database hold of them.
 */
abstract class ArchiveTestBase {
    private static final String ADMIN = "archive-test-admin";
    static final long RETENTION_S = 1;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    RedisServer redis;
    Path dir;
    String dbUrl;
    EmbeddedNode node;
    /** What the node was started with ({@link #settings} included), to start it again with changes. */
    Map<String, String> nodeSettings;
    OctetSequenceKey key;
    Writer writer;

    /** An order writer on its own thread, started and stopped by the test. */
    final class Writer implements AutoCloseable {
        private final OrderStore store;
        private final OrderStream stream;
        private final OrderWriter loop;
        private final Thread thread;

        Writer() throws SQLException {
            store = new OrderStore(dbUrl, "sa", "");
            stream = RedisOrderStream.open(WriterSettings.from(redis.asWriter(Map.of("rush.writer.name", "w1",
                    "rush.stream.keep.ms", "0"))::get), OrderEntries::toDelivery);
            loop = new OrderWriter(stream, store, "w1", 500, 5000, 0);
            thread = new Thread(loop, "test-writer");
            thread.start();
        }

        @Override
        public void close() throws Exception {
            loop.stop();
            thread.join(10_000);
            assertFalse(thread.isAlive(), "the writer stops within 10 s");
            stream.close();
            store.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        dir = Files.createTempDirectory("rush-archive-");
        dbUrl = "jdbc:h2:file:" + dir.resolve("orders");
        // the schema, as the writer makes it, before the node reads
        new OrderStore(dbUrl, "sa", "").close();
        key = TestTokens.secret("k1");
        Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
        byte[] orderKey = new byte[32];
        new SecureRandom().nextBytes(orderKey);
        Path orderKeyFile = Files.writeString(dir.resolve("order-key"), Base64.getEncoder().encodeToString(orderKey));
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.node.weight", "1",
                "rush.node.weights.total", "1", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.admin.token", ADMIN, "rush.sweep.ms", "100", "rush.sync.ms", "100",
                "rush.admin.audit", dir.resolve("admin-audit.log").toString(), "rush.auth.keys.file", keys.toString(),
                "rush.order.key.file", orderKeyFile.toString())));
        settings.put("rush.sale.retention.seconds", String.valueOf(RETENTION_S));
        settings.put("rush.archive.ms", "100");
        settings.put("rush.archive.db.url", dbUrl);
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.putAll(Payments.SETTINGS);
        settings(settings);
        nodeSettings = Map.copyOf(settings);
        node = EmbeddedNode.start(settings);
    }

    /** A test class's own node settings, put over the shared ones. */
    void settings(Map<String, String> settings) {
    }

    @AfterEach
    void stop() throws Exception {
        if (writer != null) {
            writer.close();
        }
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    HttpCall.Answer send(String method, String path, String token, boolean admin) {
        HttpRequest.Builder request = HttpRequest.newBuilder(admin ? node.adminUri(path) : node.uri(path))
                .timeout(Duration.ofSeconds(15)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (admin) {
            request.header("X-Admin-Token", ADMIN);
        }
        try {
            HttpResponse<String> response = HttpCall.newClient().send(request.build(),
                    HttpResponse.BodyHandlers.ofString());
            return new HttpCall.Answer(response.statusCode(), response.body(), "");
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + ": " + e, e);
        }
    }

    String token(String user) {
        return TestTokens.hs256(key, user);
    }

    void create(String sale, int stock, int payWithinSeconds) {
        HttpCall.Answer created = send("POST", "/admin/sales?id=" + sale + "&stock=" + stock + "&pay-within="
                + payWithinSeconds, null, true);
        assertEquals(201, created.status(), created::toString);
    }

    void close(String sale) {
        HttpCall.Answer closed = send("POST", "/admin/sales/close?id=" + sale, null, true);
        assertEquals(200, closed.status(), closed::toString);
    }

    /** A ticket for {@code user}: its public order id. */
    String buy(String sale, String user) {
        HttpCall.Answer answer = send("POST", "/buy/ticket?sale=" + sale, token(user), false);
        assertEquals(1, answer.json().get("code").getAsInt(), answer::toString);
        return answer.json().getAsJsonObject("data").get("orderId").getAsString();
    }

    /**
     * Pays the order; whether the provider was answered "paid" (its callback may come after the
     * order's second to pay on a loaded machine: then the order expired and the money is a refund due).
     */
    boolean pay(String orderId, String user) {
        HttpCall.Answer started = send("POST", "/pay?order=" + orderId, token(user), false);
        assertEquals(202, started.status(), started::toString);
        HttpCall.Answer paid = send("POST", "/demo-pay/pay?payment=" + started.json().getAsJsonObject("data")
                .get("paymentId").getAsString(), null, false);
        assertEquals(200, paid.status(), paid::toString);
        return "paid".equals(paid.json().get("msg").getAsString());
    }

    /** Per sale, how many of its orders the provider was answered paid for (the others expired). */
    final Map<String, Integer> paidOf = new HashMap<>();

    /**
     * A finished sale: {@code n} buyers, the first {@code paid} of them pay ({@link #paidOf}: how many
     * were answered paid), the others' orders expire; then it is closed. Answers each buyer's order id.
     */
    Map<String, String> finishedSale(String sale, int n, int paid) {
        Map<String, String> orders = soldSale(sale, n, paid);
        close(sale);
        return orders;
    }

    /** {@link #finishedSale} still open. */
    Map<String, String> soldSale(String sale, int n, int paid) {
        create(sale, n, 1);
        Map<String, String> orders = new HashMap<>();
        int answeredPaid = 0;
        for (int i = 0; i < n; i++) {
            String user = sale.toLowerCase() + "-buyer" + i;
            String id = buy(sale, user);
            orders.put(user, id);
            if (i < paid && pay(id, user)) {
                answeredPaid++;
            }
        }
        paidOf.put(sale, answeredPaid);
        int unpaid = n - answeredPaid;
        Keys k = keys(sale);
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "the unpaid orders of " + sale + " to expire", () -> {
            try (Jedis jedis = redis.client()) {
                return String.valueOf(unpaid).equals(jedis.hget(k.stock(), Keys.EXPIRED));
            }
        });
        return orders;
    }

    static Keys keys(String sale) {
        return Keys.of(sale, "ticket_hash_key");
    }

    /** Every key whose name carries the sale's tag (SCAN, as the soak does). */
    Set<String> keysOf(String sale) {
        Set<String> found = new TreeSet<>();
        try (Jedis jedis = redis.client()) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("rush:{" + sale + "}:*").count(1000));
                found.addAll(page.getResult());
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        return found;
    }

    boolean archived(String sale) {
        try (Jedis jedis = redis.client()) {
            return jedis.hexists(Keys.archivedSales(), sale) && !jedis.exists(keys(sale).stock());
        }
    }

    /**
     * Waits until the node's archiver has run two more rounds (its lease, renewed each round, ends
     * later twice): whatever it was going to do with what it saw before, it has done. The lease's
     * end, not its time left: a time left read in the millisecond of a renewal is the lease's
     * whole length, which no later read exceeds (this waited out its deadline so, once in CI).
     */
    void awaitArchiverRounds() {
        for (int round = 0; round < 2; round++) {
            long before = archiverLeaseEnd();
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "a round of the node's archiver",
                    () -> archiverLeaseEnd() > before + 2);
        }
    }

    /** When the archiver's lease ends, ms on Redis's clock (read in one step; gone: about now). */
    private long archiverLeaseEnd() {
        try (Jedis jedis = redis.client()) {
            Object end = jedis.eval("local t = redis.call('TIME')"
                    + " return t[1] * 1000 + math.floor(t[2] / 1000) + redis.call('PTTL', KEYS[1])", 1, Keys.archiver());
            return (Long) end;
        }
    }

    /** Waits until the sale is closed for longer than the retention, on Redis's clock. */
    void awaitDue(String sale) {
        long closes;
        try (Jedis jedis = redis.client()) {
            closes = Long.parseLong(jedis.hget(keys(sale).stock(), Keys.CLOSES_AT));
        }
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "sale " + sale + " due for archiving", () -> {
            try (Jedis jedis = redis.client()) {
                List<String> time = jedis.time();
                long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
                return now - closes > RETENTION_S * 1000 + 100;
            }
        });
    }

    /** What Redis holds, but the archiver's lease and the writer's counters, which move on their own. */
    Map<String, String> snapshot() {
        try (Jedis jedis = redis.client()) {
            Map<String, String> all = RedisSnapshot.of(jedis);
            all.remove(Keys.archiver());
            all.remove(Keys.writerStats());
            return all;
        }
    }

    ArchivedOrders database() {
        return new ArchivedOrders(dbUrl, "sa", "");
    }

    long rows(String sale) throws SQLException {
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM orders WHERE sale_id = ?")) {
            count.setString(1, sale);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
