package io.ticketrush.writer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.ticketrush.Config;
import io.ticketrush.order.OrderBook;
import io.ticketrush.redis.Keys;
import io.ticketrush.redis.RedisOrderStream;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.PostgresServer;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;

/** The order writer against a real redis-server and a real H2 database file. */
class OrderWriterTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = new Keys(KEY);
    private static RedisServer redis;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisStore redisStore;
    private GlobalStock stock;
    private OrderBook orders;
    private Path dir;
    private String dbUrl;
    private String dbUser = "sa";
    private static PostgresServer postgres;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopServers() {
        redis.close();
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        try (Jedis jedis = redis.client()) {
            jedis.flushAll();
        }
        redis.initStock(KEY, 100_000);
        redisStore = RedisStore.open(config(Map.of()));
        stock = redisStore.globalStock();
        orders = redisStore.orderBook();
        dir = Files.createTempDirectory("rush-orders-");
        dbUrl = "jdbc:h2:file:" + dir.resolve("orders");
    }

    @AfterEach
    void tearDown() {
        redisStore.close();
        TempFiles.deleteRecursively(dir);
    }

    private Config config(Map<String, String> extra) {
        Map<String, String> settings = new java.util.HashMap<>(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.redis.timeout.ms", "5000", "rush.redis.pool.wait.ms", "5000", "rush.breaker.failures", "1000"));
        settings.putAll(extra);
        return Config.from(settings::get);
    }

    private List<String> buy(int n, long ttl) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Reservation r = stock.reserve(new Buyer("user" + i, null), 3001, ttl, 1);
            assertEquals(Outcome.TICKET, r.outcome());
            ids.add(r.orderId());
        }
        return ids;
    }

    private long pendingEntries() {
        try (Jedis jedis = redis.client()) {
            return jedis.xpending(KEYS.orderStream(), RedisOrderStream.GROUP).getTotal();
        }
    }

    private long ordersWritten() {
        try (Jedis jedis = redis.client()) {
            String n = jedis.hget(KEYS.writerStats(), Keys.IN_DATABASE);
            return n == null ? 0 : Long.parseLong(n);
        }
    }

    /** The orders table, read after the writer has let go of the file: id -> state. */
    private Map<Long, String> table() throws SQLException {
        Map<Long, String> rows = new java.util.HashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, "");
                Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT id, state FROM orders")) {
            while (r.next()) {
                assertEquals(null, rows.put(r.getLong(1), r.getString(2)), "order " + r.getLong(1) + " twice");
            }
        }
        return rows;
    }

    private static Set<Long> asLongs(List<String> ids) {
        Set<Long> set = new HashSet<>();
        ids.forEach(id -> set.add(Long.parseLong(id)));
        return set;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void every_order_reaches_the_database_once_with_its_final_state(String database) throws Exception {
        String user = "sa";
        if (database.equals("postgresql")) {
            if (postgres == null) {
                postgres = PostgresServer.start();
            }
            logs.watch("postgres.log", postgres::log);
            dbUrl = postgres.url("orders");
            user = "rush";
            try (Connection c = DriverManager.getConnection(dbUrl, user, ""); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS orders");
            }
        }
        dbUser = user;
        List<String> ids = buy(300, 60_000);
        List<String> quick = buy(0, 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(OrderBook.Payment.PAID, orders.pay(ids.get(i), null));
        }
        // 50 more orders that expire unpaid
        for (int i = 0; i < 50; i++) {
            quick.add(stock.reserve(new Buyer("late" + i, null), 3002, 100, 1).orderId());
        }
        Deadline.await(Duration.ofSeconds(10), "50 orders to expire", () -> {
            orders.expireDue(1000);
            return orders.counts().expired() == 50;
        });
        OrderWriter writer;
        try (OrderStore store = new OrderStore(dbUrl, dbUser, "");
                OrderStream stream = RedisOrderStream.open(config(Map.of("rush.writer.name", "w1")))) {
            writer = new OrderWriter(stream, store, "w1", 64, 1000);
            Thread loop = new Thread(writer, "test-order-writer");
            loop.start();
            try {
                Deadline.await(Duration.ofSeconds(30), "every event written and acknowledged",
                        () -> ordersWritten() == 350 && pendingEntries() == 0 && lag() == 0);
            } finally {
                writer.stop();
                loop.join(10_000);
            }
        }
        Map<Long, String> table = table();
        assertEquals(350, table.size());
        Set<Long> expected = asLongs(ids);
        expected.addAll(asLongs(quick));
        assertEquals(expected, table.keySet());
        assertEquals(100, table.values().stream().filter("paid"::equals).count());
        assertEquals(50, table.values().stream().filter("expired"::equals).count());
        assertEquals(200, table.values().stream().filter("pending"::equals).count());
        assertTrue(orders.find(ids.get(0)).orElseThrow().persisted(), "the order shows it is in the database");
    }

    /** Stream entries not yet delivered to the group. */
    private long lag() {
        try (Jedis jedis = redis.client()) {
            var streams = jedis.xreadGroup(RedisOrderStream.GROUP, "lag-probe",
                    XReadGroupParams.xReadGroupParams().count(1), Map.of(KEYS.orderStream(), new StreamEntryID()));
            long pendingForProbe = streams == null || streams.isEmpty() ? 0 : streams.get(0).getValue().size();
            return pendingForProbe;
        }
    }

    @Test
    void entries_a_crashed_writer_left_pending_are_claimed_by_another() throws Exception {
        List<String> ids = buy(200, 60_000);
        // "crashed" reads 120 entries and dies before writing or acknowledging them
        try (Jedis jedis = redis.client()) {
            jedis.xgroupCreate(KEYS.orderStream(), RedisOrderStream.GROUP, new StreamEntryID(), true);
            var read = jedis.xreadGroup(RedisOrderStream.GROUP, "crashed", XReadGroupParams.xReadGroupParams().count(120),
                    Map.of(KEYS.orderStream(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
            assertEquals(120, read.get(0).getValue().size());
            assertEquals(120, jedis.xpending(KEYS.orderStream(), RedisOrderStream.GROUP).getTotal());
        }
        try (OrderStore store = new OrderStore(dbUrl, "sa", "");
                OrderStream stream = RedisOrderStream.open(config(Map.of("rush.writer.name", "survivor")))) {
            OrderWriter survivor = new OrderWriter(stream, store, "survivor", 50, 300);
            Thread loop = new Thread(survivor, "survivor");
            loop.start();
            try {
                Deadline.await(Duration.ofSeconds(30), "the survivor to finish the crashed writer's entries",
                        () -> ordersWritten() == 200 && pendingEntries() == 0);
            } finally {
                survivor.stop();
                loop.join(10_000);
            }
        }
        assertEquals(asLongs(ids), table().keySet());
    }

    @Test
    void killing_the_writer_process_mid_stream_loses_and_duplicates_nothing() throws Exception {
        int n = 6000;
        List<String> ids = buy(n, 600_000);
        Map<String, String> env = Map.of("RUSH_REDIS_PORT", String.valueOf(redis.port()), "RUSH_DB_URL", dbUrl,
                "RUSH_WRITER_NAME", "writer-1", "RUSH_WRITER_BATCH", "20");
        ChildProcess first = writerProcess(env, "writer-first.log");
        try {
            Deadline.await(Duration.ofSeconds(60), "the writer to write its first orders", () -> {
                first.checkAlive();
                return ordersWritten() >= 200;
            });
            first.kill();
        } finally {
            first.close();
        }
        long atKill = ordersWritten();
        assertTrue(atKill < n, "the writer was killed mid-stream (" + atKill + " of " + n + " written)");
        ChildProcess second = writerProcess(env, "writer-second.log");
        try {
            Deadline.await(Duration.ofSeconds(90), "the restarted writer to write every order", () -> {
                second.checkAlive();
                return ordersWritten() == n && pendingEntries() == 0;
            });
        } finally {
            assertTrue(second.stop(Duration.ofSeconds(20)), "the writer stops gracefully on SIGTERM");
        }
        assertEquals(asLongs(ids), table().keySet());
        System.out.printf("order writer killed at %d of %d orders; after restart %d rows, no duplicates%n", atKill, n,
                n);
    }

    private ChildProcess writerProcess(Map<String, String> env, String log) {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ChildProcess process = ChildProcess.start("order writer", List.of(java, "-cp", classpath,
                OrderWriterMain.class.getName()), dir, env, dir.resolve(log));
        logs.watch(log, process::log);
        return process;
    }
}
