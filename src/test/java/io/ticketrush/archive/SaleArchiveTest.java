package io.ticketrush.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.settings.StoreSettings;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Archiving finished sales (docs/archive.md) with a real redis-server, a real H2 file written by a
 * real order writer, and a node that archives (rush.sale.retention.seconds=1, a round every 100 ms): a sale
 * leaves Redis only once the database holds every one of its orders as Redis does; then its orders
 * answer from the database, to their buyer alone, its id is refused, and the node lets go of it.
 */
class SaleArchiveTest {
    private static final String ADMIN = "sale-archive-test-admin";
    private static final long RETENTION_S = 1;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisServer redis;
    private Path dir;
    private String dbUrl;
    private EmbeddedNode node;
    private OctetSequenceKey key;
    private Writer writer;

    /** An order writer on its own thread, started and stopped by the test. */
    private final class Writer implements AutoCloseable {
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
        node = EmbeddedNode.start(settings);
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

    private HttpCall.Answer send(String method, String path, String token, boolean admin) {
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

    private String token(String user) {
        return TestTokens.hs256(key, user);
    }

    private void create(String sale, int stock, int payWithinSeconds) {
        HttpCall.Answer created = send("POST", "/admin/sales?id=" + sale + "&stock=" + stock + "&pay-within="
                + payWithinSeconds, null, true);
        assertEquals(201, created.status(), created::toString);
    }

    private void close(String sale) {
        HttpCall.Answer closed = send("POST", "/admin/sales/close?id=" + sale, null, true);
        assertEquals(200, closed.status(), closed::toString);
    }

    /** A ticket for {@code user}: its public order id. */
    private String buy(String sale, String user) {
        HttpCall.Answer answer = send("POST", "/buy/ticket?sale=" + sale, token(user), false);
        assertEquals(1, answer.json().get("code").getAsInt(), answer::toString);
        return answer.json().getAsJsonObject("data").get("orderId").getAsString();
    }

    /**
     * Pays the order; whether the provider was answered "paid" (its callback may come after the
     * order's second to pay on a loaded machine: then the order expired and the money is a refund due).
     */
    private boolean pay(String orderId, String user) {
        HttpCall.Answer started = send("POST", "/pay?order=" + orderId, token(user), false);
        assertEquals(202, started.status(), started::toString);
        HttpCall.Answer paid = send("POST", "/demo-pay/pay?payment=" + started.json().getAsJsonObject("data")
                .get("paymentId").getAsString(), null, false);
        assertEquals(200, paid.status(), paid::toString);
        return "paid".equals(paid.json().get("msg").getAsString());
    }

    /** Per sale, how many of its orders the provider was answered paid for (the others expired). */
    private final Map<String, Integer> paidOf = new HashMap<>();

    /**
     * A finished sale: {@code n} buyers, the first {@code paid} of them pay ({@link #paidOf}: how many
     * were answered paid), the others' orders expire; then it is closed. Answers each buyer's order id.
     */
    private Map<String, String> finishedSale(String sale, int n, int paid) {
        Map<String, String> orders = soldSale(sale, n, paid);
        close(sale);
        return orders;
    }

    /** {@link #finishedSale} still open. */
    private Map<String, String> soldSale(String sale, int n, int paid) {
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

    private static Keys keys(String sale) {
        return Keys.of(sale, "ticket_hash_key");
    }

    /** Every key whose name carries the sale's tag (SCAN, as the soak does). */
    private Set<String> keysOf(String sale) {
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

    private boolean archived(String sale) {
        try (Jedis jedis = redis.client()) {
            return jedis.hexists(Keys.archivedSales(), sale) && !jedis.exists(keys(sale).stock());
        }
    }

    /**
     * Waits until the node's archiver has run two more rounds (its lease, renewed each round, got
     * longer twice): whatever it was going to do with what it saw before, it has done.
     */
    private void awaitArchiverRounds() {
        for (int round = 0; round < 2; round++) {
            long before;
            try (Jedis jedis = redis.client()) {
                before = jedis.pttl(Keys.archiver());
            }
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "a round of the node's archiver", () -> {
                try (Jedis jedis = redis.client()) {
                    return jedis.pttl(Keys.archiver()) > before;
                }
            });
        }
    }

    /** Waits until the sale is closed for longer than the retention, on Redis's clock. */
    private void awaitDue(String sale) {
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
    private Map<String, String> snapshot() {
        try (Jedis jedis = redis.client()) {
            Map<String, String> all = RedisSnapshot.of(jedis);
            all.remove(Keys.archiver());
            all.remove(Keys.writerStats());
            return all;
        }
    }

    private ArchivedOrders database() {
        return new ArchivedOrders(dbUrl, "sa", "");
    }

    private long rows(String sale) throws SQLException {
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM orders WHERE sale_id = ?")) {
            count.setString(1, sale);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static final int BUCKETS = 3;

    /**
     * A finished hot sale in {@link #BUCKETS} buckets: {@code n} tickets to {@code n} buyers (a bucket
     * sold out gets tickets moved in from the others), the first {@code paid} pay, the other orders
     * expire; then it is closed. Answers each buyer's order id.
     */
    private Map<String, String> finishedHotSale(String sale, int n, int paid) {
        HttpCall.Answer created = send("POST", "/admin/sales?id=" + sale + "&stock=" + n + "&pay-within=1&buckets="
                + BUCKETS, null, true);
        assertEquals(201, created.status(), created::toString);
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
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "the unpaid orders of " + sale + " to expire", () -> {
            long expired = 0;
            try (Jedis jedis = redis.client()) {
                for (String bucket : buckets(sale)) {
                    String e = jedis.hget(keys(bucket).stock(), Keys.EXPIRED);
                    expired += e == null ? 0 : Long.parseLong(e);
                }
            }
            return expired == unpaid;
        });
        close(sale);
        return orders;
    }

    private static List<String> buckets(String sale) {
        List<String> buckets = new ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            buckets.add(sale + "--" + b);
        }
        return buckets;
    }

    /** Every key of a hot sale and of its buckets (SCAN). */
    private Set<String> keysOfHot(String sale) {
        Set<String> found = new TreeSet<>(keysOf(sale));
        for (String bucket : buckets(sale)) {
            found.addAll(keysOf(bucket));
        }
        return found;
    }

    /** The database's rows of a hot sale (its buckets'). */
    private long hotRows(String sale) throws SQLException {
        long n = 0;
        for (String bucket : buckets(sale)) {
            n += rows(bucket);
        }
        return n + rows(sale);
    }

    /** Waits until every bucket's orders and events are written (Redis says so). */
    private void awaitHotWritten(String sale, int n) {
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "every order and event of " + sale + " written", () -> {
            long persisted = 0;
            try (Jedis jedis = redis.client()) {
                for (String bucket : buckets(sale)) {
                    if (jedis.xlen(keys(bucket).orderStream()) != 0) {
                        return false;
                    }
                    persisted += jedis.scard(keys(bucket).persisted());
                }
            }
            return persisted == n;
        });
    }

    /** What {@link #snapshot} holds of these keys' names. */
    private static Map<String, String> only(Map<String, String> all, Set<String> names) {
        Map<String, String> some = new TreeMap<>();
        all.forEach((name, value) -> {
            if (names.contains(name)) {
                some.put(name, value);
            }
        });
        return some;
    }

    @Test
    void a_sale_whose_writer_is_behind_keeps_every_key_until_the_database_has_its_orders() throws Exception {
        Map<String, String> orders = finishedSale("BEHIND", 6, 3);
        awaitDue("BEHIND");
        // no writer ran: not one order is in the database, so the sale stays whole
        assertEquals(0, rows("BEHIND"));
        Map<String, String> before = snapshot();
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "test", 1000, id -> { });
            assertEquals(SaleArchive.Readiness.UNWRITTEN, direct.archive("BEHIND"));
        }
        awaitArchiverRounds();
        assertEquals(before, snapshot(), "nothing changed while the writer was behind");
        assertTrue(node.app().sales().existingSeller("BEHIND").isPresent(), "the node still has the sale's seller");

        // the writer catches up: every order in the database, then the sale leaves Redis
        writer = new Writer();
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "sale BEHIND archived", () -> archived("BEHIND"));
        assertEquals(6, rows("BEHIND"), "every order in the database");
        assertEquals(Set.of(), keysOf("BEHIND"), "no key of the archived sale left");
        assertArchivedOrdersAnswer("BEHIND", orders, paidOf.get("BEHIND"));
    }

    /** Its orders from the database, to their buyer alone; /sales shows it; its id is refused; the node let go of it. */
    private void assertArchivedOrdersAnswer(String sale, Map<String, String> orders, int paid) {
        int paidSeen = 0;
        for (Map.Entry<String, String> order : orders.entrySet()) {
            HttpCall.Answer own = send("GET", "/order?id=" + order.getValue(), token(order.getKey()), false);
            assertEquals(200, own.status(), own::toString);
            JsonObject data = own.json().getAsJsonObject("data");
            assertTrue(data.get("archived").getAsBoolean(), own::toString);
            assertEquals(order.getValue(), data.get("orderId").getAsString(), own::toString);
            paidSeen += "paid".equals(data.get("state").getAsString()) ? 1 : 0;
            HttpCall.Answer stranger = send("GET", "/order?id=" + order.getValue(), token("stranger"), false);
            assertEquals(404, stranger.status(), stranger::toString);
            HttpCall.Answer listed = send("GET", "/orders?sale=" + sale, token(order.getKey()), false);
            JsonArray list = listed.json().getAsJsonObject("data").getAsJsonArray("orders");
            assertEquals(1, list.size(), listed::toString);
            assertEquals(order.getValue(), list.get(0).getAsJsonObject().get("orderId").getAsString());
            HttpCall.Answer everywhere = send("GET", "/orders", token(order.getKey()), false);
            assertEquals(1, everywhere.json().getAsJsonObject("data").getAsJsonArray("orders").size(),
                    everywhere::toString);
        }
        assertEquals(paid, paidSeen, "the paid orders answer paid from the database");

        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "/sales to show " + sale + " archived", () -> {
            for (JsonElement s : HttpCall.get(node.uri("/sales")).json().getAsJsonObject("data").getAsJsonArray("sales")) {
                JsonObject view = s.getAsJsonObject();
                if (sale.equals(view.get("id").getAsString())) {
                    return "archived".equals(view.get("state").getAsString())
                            && view.get("sold").getAsLong() == paid && view.get("paid").getAsLong() == paid;
                }
            }
            return false;
        });

        Map<String, String> before = snapshot();
        HttpCall.Answer again = send("POST", "/admin/sales?id=" + sale + "&stock=5", null, true);
        assertEquals(409, again.status(), again::toString);
        assertEquals("conflict", again.json().get("error").getAsString(), again::toString);
        assertEquals("archived", again.json().get("reason").getAsString(), again::toString);
        assertEquals(before, snapshot(), "a refused creation changes nothing");

        assertTrue(node.app().sales().existingSeller(sale).isEmpty(), "the node let go of the sale's seller");
        assertFalse(node.app().sales().all().stream().anyMatch(s -> s.id().equals(sale)), "nor knows it as live");
        assertEquals(0, node.app().redis().following(), "nor follows its order stream");
    }

    @Test
    void a_sale_whose_database_lacks_an_order_stays_whole_until_the_order_is_back() throws Exception {
        writer = new Writer();
        Map<String, String> orders = soldSale("LACKS", 4, 2);
        Keys k = keys("LACKS");
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "every order and event written", () -> {
            try (Jedis jedis = redis.client()) {
                return jedis.scard(k.persisted()) == 4 && jedis.xlen(k.orderStream()) == 0;
            }
        });
        // one row goes missing from the database (Redis says every order is persisted): the check must compare
        List<Object> row = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", ""); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT id, sale_id, user_id, node, created_at, deadline, state,"
                    + " written_at FROM orders WHERE sale_id = 'LACKS' AND state = 'paid' ORDER BY id LIMIT 1")) {
                assertTrue(rs.next());
                for (int i = 1; i <= 8; i++) {
                    row.add(rs.getObject(i));
                }
            }
            assertEquals(1, s.executeUpdate("DELETE FROM orders WHERE id = " + row.get(0)));
        }
        close("LACKS");
        awaitDue("LACKS");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "test", 1000, id -> { });
            assertEquals(SaleArchive.Readiness.UNWRITTEN, direct.archive("LACKS"));
        }
        awaitArchiverRounds();
        assertFalse(archived("LACKS"));
        assertTrue(keysOf("LACKS").contains(k.orders()), "its orders are in Redis");

        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement insert = c.prepareStatement("INSERT INTO orders (id, sale_id, user_id, node,"
                        + " created_at, deadline, state, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < 8; i++) {
                insert.setObject(i + 1, row.get(i));
            }
            insert.executeUpdate();
        }
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "sale LACKS archived", () -> archived("LACKS"));
        assertEquals(Set.of(), keysOf("LACKS"));
        assertArchivedOrdersAnswer("LACKS", orders, paidOf.get("LACKS"));
    }

    @Test
    void an_open_sale_and_a_closed_one_with_a_pending_order_are_never_archived() throws Exception {
        writer = new Writer();
        create("OPEN", 3, 1);
        String openOrder = buy("OPEN", "o1");
        pay(openOrder, "o1");
        create("PENDING", 3, 600);
        buy("PENDING", "p1");
        close("PENDING");
        awaitDue("PENDING");
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "every order written", () -> {
            try (Jedis jedis = redis.client()) {
                return jedis.scard(keys("OPEN").persisted()) == 1 && jedis.scard(keys("PENDING").persisted()) == 1;
            }
        });
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "test", 1000, id -> { });
            assertEquals(SaleArchive.Readiness.NOT_DUE, direct.archive("OPEN"));
            assertEquals(SaleArchive.Readiness.UNFINISHED, direct.archive("PENDING"));
        }
        awaitArchiverRounds();
        assertFalse(archived("OPEN"));
        assertFalse(archived("PENDING"));
        try (Jedis jedis = redis.client()) {
            assertEquals(1, jedis.hlen(keys("OPEN").orders()));
            assertEquals(1, jedis.hlen(keys("PENDING").orders()));
            assertEquals(Map.of(), jedis.hgetAll(Keys.archivedSales()), "no tombstone");
        }
    }

    @Test
    void a_change_between_the_check_and_the_delete_keeps_every_key() throws Exception {
        try (Jedis jedis = redis.client()) {
            // the node's archiver stands aside: this test alone archives, step by step
            jedis.psetex(Keys.archiver(), 120_000, "the-test");
        }
        writer = new Writer();
        finishedSale("RACE", 3, 2);
        Keys k = keys("RACE");
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "every order and event written", () -> {
            try (Jedis jedis = redis.client()) {
                return jedis.scard(k.persisted()) == 3 && jedis.xlen(k.orderStream()) == 0;
            }
        });
        awaitDue("RACE");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get))) {
            SaleArchive archive = store.archive();
            SaleArchive.Check check = archive.check("RACE", RETENTION_S * 1000);
            assertEquals(SaleArchive.Readiness.READY, check.readiness());
            assertEquals(3, check.states().size());
            try (Jedis jedis = redis.client()) {
                // after the check: money owed back for an expired order (a late payment), as confirm_payment records it
                jedis.hincrBy(k.stock(), Keys.REFUNDS_DUE, 1);
            }
            Map<String, String> before = snapshot();
            assertEquals(SaleArchive.Readiness.CHANGED, archive.archive("RACE", RETENTION_S * 1000, check.fingerprint()));
            assertEquals(before, snapshot(), "nothing deleted, no tombstone left");
            SaleArchive.Check again = archive.check("RACE", RETENTION_S * 1000);
            assertEquals(SaleArchive.Readiness.READY,
                    archive.archive("RACE", RETENTION_S * 1000, again.fingerprint()));
        }
        assertTrue(archived("RACE"));
        assertEquals(Set.of(), keysOf("RACE"));
    }
    @Test
    void a_hot_sale_whose_writer_is_behind_keeps_every_key_of_every_bucket_then_leaves_whole() throws Exception {
        Map<String, String> orders = finishedHotSale("HOTB", 9, 4);
        awaitDue("HOTB");
        assertEquals(0, hotRows("HOTB"), "no writer ran");
        Set<String> names = keysOfHot("HOTB");
        for (String bucket : buckets("HOTB")) {
            assertTrue(names.contains(keys(bucket).orders()), "bucket " + bucket + " sold: " + names);
        }
        Map<String, String> before = snapshot();
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "test", 1000, id -> { });
            assertEquals(SaleArchive.Readiness.UNWRITTEN, direct.archive("HOTB"));
            assertEquals(SaleArchive.Readiness.HOT, direct.archive("HOTB--1"), "a bucket goes only with its sale");
        }
        awaitArchiverRounds();
        assertEquals(before, snapshot(), "nothing changed while the writer was behind, in any bucket");

        writer = new Writer();
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "sale HOTB archived", () -> archived("HOTB"));
        assertEquals(9, hotRows("HOTB"), "every order in the database");
        assertEquals(Set.of(), keysOfHot("HOTB"), "no key of the hot sale or of any bucket left");
        try (Jedis jedis = redis.client()) {
            assertEquals(Set.of(), jedis.smembers(Keys.sales()), "neither the sale nor a bucket listed");
            assertEquals(Set.of("HOTB"), jedis.hkeys(Keys.archivedSales()), "one tombstone, the sale's");
        }
        assertArchivedOrdersAnswer("HOTB", orders, paidOf.get("HOTB"));
        for (String bucket : buckets("HOTB")) {
            assertTrue(node.app().sales().existingSeller(bucket).isEmpty(), "the node let go of " + bucket);
        }
    }

    @Test
    void a_change_in_one_bucket_between_the_check_and_the_delete_deletes_nothing_it_did_not_check() throws Exception {
        try (Jedis jedis = redis.client()) {
            jedis.psetex(Keys.archiver(), 120_000, "the-test");
        }
        writer = new Writer();
        Map<String, String> orders = finishedHotSale("HOTR", 9, 3);
        awaitHotWritten("HOTR", 9);
        awaitDue("HOTR");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get))) {
            SaleArchive archive = store.archive();
            SaleArchive.Check check = archive.check("HOTR", RETENTION_S * 1000);
            assertEquals(SaleArchive.Readiness.READY, check.readiness());
            assertEquals(9, check.states().size(), "every bucket's orders");
            assertEquals(buckets("HOTR"), check.parts());

            // the first bucket changed after the check: nothing deleted, no mark, no tombstone
            try (Jedis jedis = redis.client()) {
                jedis.hincrBy(keys("HOTR--0").stock(), Keys.REFUNDS_DUE, 1);
            }
            Map<String, String> before = snapshot();
            assertEquals(SaleArchive.Readiness.CHANGED, archive.archive("HOTR", RETENTION_S * 1000, check.fingerprint()));
            assertEquals(before, snapshot(), "nothing deleted, the sale whole and live");

            // the last bucket changed after the check: the buckets before it went (each checked
            // unchanged), it keeps every key, the home stays, marked, and so does the tombstone
            check = archive.check("HOTR", RETENTION_S * 1000);
            assertEquals(SaleArchive.Readiness.READY, check.readiness());
            try (Jedis jedis = redis.client()) {
                jedis.hincrBy(keys("HOTR--2").stock(), Keys.REFUNDS_DUE, 1);
            }
            before = snapshot();
            Set<String> lastBucket = keysOf("HOTR--2");
            Set<String> home = keysOf("HOTR");
            assertEquals(SaleArchive.Readiness.CHANGED, archive.archive("HOTR", RETENTION_S * 1000, check.fingerprint()));
            assertEquals(Set.of(), keysOf("HOTR--0"));
            assertEquals(Set.of(), keysOf("HOTR--1"));
            Map<String, String> after = snapshot();
            assertEquals(only(before, lastBucket), only(after, lastBucket), "the changed bucket keeps every key");
            assertEquals(home, keysOf("HOTR"));
            try (Jedis jedis = redis.client()) {
                assertEquals("1", jedis.hget(keys("HOTR").stock(), Keys.ARCHIVING), "its archive has begun");
                assertTrue(jedis.hexists(Keys.archivedSales(), "HOTR"), "its id stays refused");
            }
            try (Jedis jedis = redis.client()) {
                assertEquals(Set.of("HOTR", "HOTR--2"), jedis.smembers(Keys.sales()), "the buckets gone unlisted");
            }
            // the node, reading the sales again, answers the orders of the buckets gone from the database
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the orders of HOTR's buckets gone answered archived",
                    () -> {
                        for (Map.Entry<String, String> order : orders.entrySet()) {
                            HttpCall.Answer own = send("GET", "/order?id=" + order.getValue(), token(order.getKey()),
                                    false);
                            if (own.status() != 200) {
                                return false;
                            }
                            JsonObject data = own.json().getAsJsonObject("data");
                            if (!data.get("sale").getAsString().equals("HOTR--2") && !data.has("archived")) {
                                return false;
                            }
                        }
                        return true;
                    });
            HttpCall.Answer reset = send("POST", "/admin/sales/reset?id=HOTR&stock=9", null, true);
            assertEquals(409, reset.status(), "a sale half archived is not reset: " + reset);
            assertEquals(only(after, lastBucket), only(snapshot(), lastBucket), "the refused reset changed nothing");

            // a later round finds the home marked and two buckets gone: the last one is checked again and goes
            SaleArchive.Check rest = archive.check("HOTR", RETENTION_S * 1000);
            assertEquals(SaleArchive.Readiness.READY, rest.readiness());
            assertEquals(List.of("HOTR--2"), rest.parts(), "only the bucket still there is compared");
            assertEquals(SaleArchive.Readiness.READY, archive.archive("HOTR", RETENTION_S * 1000, rest.fingerprint()));
        }
        assertTrue(archived("HOTR"));
        assertEquals(Set.of(), keysOfHot("HOTR"));
        assertEquals(9, hotRows("HOTR"));
        // a transfer a node finishes late, to a bucket gone: nothing of the bucket is made again
        Keys gone = keys("HOTR--1");
        try (Jedis jedis = redis.client()) {
            assertFalse(LuaScripts.GIVE_STOCK.run(jedis, List.of(gone.stock(), gone.received()),
                    List.of("late-transfer", "2")), "not given");
        }
        assertEquals(Set.of(), keysOfHot("HOTR"), "a late give makes no key of an archived bucket");
    }

    @Test
    void the_default_sale_closed_and_finished_is_kept() throws Exception {
        // closed, nothing pending, nothing to write: any other sale would be archived now
        close("default");
        Keys k = Keys.ofDefault("ticket_hash_key");
        awaitDue("default");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "test", 1000, id -> { });
            assertEquals(SaleArchive.Readiness.KEPT, direct.archive("default"));
        }
        awaitArchiverRounds();
        try (Jedis jedis = redis.client()) {
            assertTrue(jedis.exists(k.stock()), "its stock hash stays");
            assertEquals(Map.of(), jedis.hgetAll(Keys.archivedSales()), "no tombstone");
        }
    }
}
