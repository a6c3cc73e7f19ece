package io.ticketrush.writer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;

import io.ticketrush.order.OrderBook;
import io.ticketrush.order.OrderEvent;
import io.ticketrush.order.OrderStream;
import io.ticketrush.order.Payment;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.CapturedLog;
import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.Payments;
import io.ticketrush.support.PostgresServer;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.Terms;
import io.ticketrush.support.TimeScale;
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
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/** The order writer against a real redis-server and a real H2 database file. */
class OrderWriterTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = Keys.ofDefault(KEY);
    private static RedisServer redis;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisStore redisStore;
    private GlobalStock stock;
    private OrderBook orders;
    private Path dir;
    private String dbUrl;
    private String dbUser = "sa";
    private int buyers;
    /** rush.stream.keep.ms of the writers a test starts. */
    private long keepMillis = 60_000;
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
        redisStore = RedisStore.open(StoreSettings.from(settings(redis.asNode(Map.of()))::get));
        stock = redisStore.stockOf(Terms.of(60_000, 1));
        orders = redisStore.orderBook();
        dir = Files.createTempDirectory("rush-orders-");
        dbUrl = "jdbc:h2:file:" + dir.resolve("orders");
    }

    @AfterEach
    void tearDown() {
        redisStore.close();
        TempFiles.deleteRecursively(dir);
    }

    /** {@code user}'s settings (a node's or the writer's: {@link RedisServer#asNode}, {@link RedisServer#asWriter}) with this test's waits. */
    private static Map<String, String> settings(Map<String, String> user) {
        Map<String, String> settings = new HashMap<>(Map.of("rush.redis.timeout.ms", "5000",
                "rush.redis.pool.wait.ms", "5000", "rush.breaker.failures", "1000"));
        settings.putAll(user);
        return settings;
    }

    /** {@code n} orders, each of a user who has none yet. */
    private List<String> buy(int n, long ttl) {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Reservation r = stock.reserve(new Buyer("user" + buyers++, null), 3001, Terms.of(ttl, 1));
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
            String n = jedis.hget(Keys.writerStats(), Keys.IN_DATABASE);
            return n == null ? 0 : Long.parseLong(n);
        }
    }

    /** Waits until the database has {@code orders} orders and every entry is delivered and acknowledged. */
    private void awaitWritten(long orders) {
        Deadline.await(Duration.ofSeconds(30), orders + " orders written and every entry acknowledged",
                () -> ordersWritten() == orders && pendingEntries() == 0 && lag() == 0);
    }

    private long deadLetters() {
        try (Jedis jedis = redis.client()) {
            String n = jedis.hget(Keys.writerStats(), Keys.DEAD_LETTERS);
            return n == null ? 0 : Long.parseLong(n);
        }
    }

    /** The dead letters' fields, oldest first. */
    private List<Map<String, String>> deadLetterEntries() {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(Keys.orderDeadLetters(), "-", "+").stream().map(StreamEntry::getFields).toList();
        }
    }

    /** Appends entries to the order stream in one MULTI, so the writer reads them in one batch. */
    @SafeVarargs
    private List<String> append(Map<String, String>... entries) {
        try (Jedis jedis = redis.client(); Transaction multi = jedis.multi()) {
            for (Map<String, String> fields : entries) {
                multi.xadd(KEYS.orderStream(), XAddParams.xAddParams(), fields);
            }
            return multi.exec().stream().map(String::valueOf).toList();
        }
    }

    /** The order's created event as the BUY script wrote it, with {@code changes} applied. */
    private Map<String, String> eventOf(String orderId, String event, Map<String, String> changes) {
        try (Jedis jedis = redis.client()) {
            Map<String, String> order = jedis.xrange(KEYS.orderStream(), "-", "+").stream()
                    .map(StreamEntry::getFields).filter(f -> orderId.equals(f.get(Keys.ID))
                            && Keys.CREATED_EVENT.equals(f.get(Keys.EVENT))).findFirst().orElseThrow();
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put(Keys.EVENT, event);
            for (String name : List.of(Keys.ID, Keys.USER, Keys.NODE, Keys.CREATED, Keys.DEADLINE, Keys.STATE)) {
                fields.put(name, order.get(name));
            }
            fields.putAll(changes);
            return fields;
        }
    }

    /** The orders table: id -> [user, node, created, state]. */
    private Map<Long, List<String>> rows() throws SQLException {
        Map<Long, List<String>> rows = new HashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, ""); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, user_id, node, created_at, state FROM orders")) {
            while (r.next()) {
                rows.put(r.getLong(1), List.of(String.valueOf(r.getString(2)), String.valueOf(r.getInt(3)),
                        String.valueOf(r.getLong(4)), r.getString(5)));
            }
        }
        return rows;
    }

    /** What a test does while a writer runs. */
    @FunctionalInterface
    private interface WhileWriting {
        void run() throws Exception;
    }

    /** Runs {@code body} while a writer runs on its own thread; then stops it and lets go of the database and Redis. */
    private void whileWriting(String name, int batch, long claimIdleMillis, WhileWriting body) throws Exception {
        try (OrderStore store = new OrderStore(dbUrl, dbUser, "");
                OrderStream stream = RedisOrderStream.open(WriterSettings.from(
                        settings(redis.asWriter(Map.of("rush.writer.name", name)))::get), OrderEntries::toDelivery)) {
            OrderWriter writer = new OrderWriter(stream, store, name, batch, claimIdleMillis, keepMillis);
            Thread loop = new Thread(writer, "test-writer-" + name);
            loop.start();
            try {
                body.run();
            } finally {
                writer.stop();
                loop.join(10_000);
            }
            assertFalse(loop.isAlive(), "the writer stops within 10 s");
        }
    }

    /** The payment columns, read after the writer has let go of the file: id -> [payment_id, refund_due]. */
    private Map<Long, List<Object>> paymentColumns() throws SQLException {
        Map<Long, List<Object>> rows = new HashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, ""); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, payment_id, refund_due FROM orders")) {
            while (r.next()) {
                long refund = r.getLong(3);
                Long refundDue = r.wasNull() ? null : refund;
                rows.put(r.getLong(1), Arrays.asList(r.getString(2), refundDue));
            }
        }
        return rows;
    }

    /** The orders table, read after the writer has let go of the file: id -> state. */
    private Map<Long, String> table() throws SQLException {
        Map<Long, String> rows = new HashMap<>();
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
        if (database.equals("postgresql")) {
            usePostgres();
        }
        List<String> ids = buy(300, 60_000);
        List<String> quick = buy(0, 0);
        for (int i = 0; i < 100; i++) {
            assertEquals(Payment.Confirmation.PAID, Payments.pay(orders, ids.get(i)));
        }
        // 10 orders whose payment starts in time and whose money comes after they expired
        List<Payment> tardy = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String id = stock.reserve(new Buyer("tardy" + i, null), 3002, Terms.of(TimeScale.ms(2000), 1)).orderId();
            quick.add(id);
            tardy.add(Payments.start(orders, id, 1000));
        }
        // 50 more orders that expire unpaid
        for (int i = 0; i < 50; i++) {
            quick.add(stock.reserve(new Buyer("late" + i, null), 3002, Terms.of(100, 1)).orderId());
        }
        Deadline.await(Duration.ofSeconds(20), "60 orders to expire", () -> {
            orders.expireDue(1000);
            return orders.counts(Sale.DEFAULT).expired() == 60;
        });
        for (Payment payment : tardy) {
            assertEquals(Payment.Confirmation.REFUND_DUE, Payments.confirm(orders, payment).outcome());
        }
        whileWriting("w1", 64, 1000, () -> {
            awaitWritten(360);
        });
        Map<Long, String> table = table();
        assertEquals(360, table.size());
        Set<Long> expected = asLongs(ids);
        expected.addAll(asLongs(quick));
        assertEquals(expected, table.keySet());
        assertEquals(100, table.values().stream().filter("paid"::equals).count());
        assertEquals(60, table.values().stream().filter("expired"::equals).count());
        assertEquals(200, table.values().stream().filter("pending"::equals).count());
        Map<Long, List<Object>> payments = paymentColumns();
        Map<Long, List<Object>> refunds = new HashMap<>();
        tardy.forEach(p -> refunds.put(Long.parseLong(p.orderId()), List.of(p.id(), 1000L)));
        assertEquals(refunds, payments.entrySet().stream().filter(e -> e.getValue().get(1) != null)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)),
                "each order whose money came too late: expired, its payment and the refund due");
        for (int i = 0; i < 300; i++) {
            long id = Long.parseLong(ids.get(i));
            if (i < 100) {
                String payment = (String) payments.get(id).get(0);
                assertNotNull(payment, "a paid order's row names the payment that paid it");
                assertEquals(Payment.SUCCEEDED, orders.payment(payment).orElseThrow().state(), payment);
            } else {
                assertEquals(Arrays.asList(null, null), payments.get(id), "an unpaid order has no payment");
            }
        }
        for (Payment payment : tardy) {
            assertEquals("expired", table.get(Long.parseLong(payment.orderId())), "a refund due leaves the order expired");
        }
        assertTrue(orders.find(ids.get(0)).orElseThrow().persisted(), "the order shows it is in the database");
        assertEquals(0, deadLetters());
    }

    /** The orders go to the shared PostgreSQL server (started once for the class) instead of H2. */
    private void usePostgres() throws SQLException {
        if (postgres == null) {
            postgres = PostgresServer.start();
        }
        logs.watch("postgres.log", postgres::log);
        dbUrl = postgres.url("orders");
        dbUser = "rush";
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, ""); Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS orders");
        }
    }

    /**
     * Stream entries not yet delivered to the group: the {@code lag} Redis 7 reports in XINFO
     * GROUPS, or, where Redis cannot tell (entries deleted in between), the entries after the
     * group's last delivered id, counted.
     */
    private long lag() {
        try (Jedis jedis = redis.client()) {
            if (!jedis.exists(KEYS.orderStream())) {
                return 0;
            }
            var group = jedis.xinfoGroups(KEYS.orderStream()).stream()
                    .filter(g -> g.getName().equals(RedisOrderStream.GROUP)).findFirst();
            if (group.isEmpty()) {
                return jedis.xlen(KEYS.orderStream());
            }
            if (group.get().getGroupInfo().get("lag") instanceof Long lag) {
                return lag;
            }
            return jedis.xrange(KEYS.orderStream(), "(" + group.get().getLastDeliveredId(), "+").size();
        }
    }

    @Test
    void a_table_made_before_payments_gets_their_columns_and_takes_a_refund_due() throws Exception {
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, ""); Statement s = c.createStatement()) {
            // the table as the writer made it before sales and payments
            s.execute("CREATE TABLE orders (id BIGINT PRIMARY KEY, user_id VARCHAR(64), node INT NOT NULL,"
                    + " created_at BIGINT NOT NULL, deadline BIGINT NOT NULL, state VARCHAR(16) NOT NULL,"
                    + " written_at BIGINT NOT NULL)");
            s.execute("INSERT INTO orders VALUES (7, 'ann', 3001, 100, 200, 'pending', 1)");
        }
        String payment = Payment.newId(Sale.DEFAULT);
        try (OrderStore store = new OrderStore(dbUrl, dbUser, "")) {
            assertEquals(List.of(), store.apply(List.of(
                    new OrderEvent("1-0", Sale.DEFAULT, "expired", 7, "ann", 3001, 100, 200, "expired"),
                    new OrderEvent("2-0", Sale.DEFAULT, OrderEvent.REFUND_DUE, 7, "ann", 3001, 100, 200, "expired",
                            payment, 1000))));
            assertEquals(1, store.refundsDue());
            assertEquals(1, store.count("expired"));
            assertEquals(1, store.count());
        }
        assertEquals(Arrays.asList(payment, 1000L), paymentColumns().get(7L));
    }

    @Test
    void lag_counts_the_entries_not_yet_delivered_to_the_writers() {
        assertEquals(0, lag(), "no stream yet");
        buy(5, 60_000);
        assertEquals(5, lag(), "no group yet: every entry waits");
        try (Jedis jedis = redis.client()) {
            jedis.xgroupCreate(KEYS.orderStream(), RedisOrderStream.GROUP, new StreamEntryID(), false);
            assertEquals(5, lag());
            jedis.xreadGroup(RedisOrderStream.GROUP, "reader", XReadGroupParams.xReadGroupParams().count(2),
                    Map.of(KEYS.orderStream(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
            assertEquals(3, lag(), "2 of 5 delivered");
        }
    }

    @Test
    void a_malformed_entry_becomes_a_dead_letter_and_the_orders_around_it_are_written() throws Exception {
        String notANumber = append(Map.of(Keys.EVENT, "created", Keys.ID, "notanumber")).get(0);
        List<String> ids = buy(10, 60_000);
        Map<String, String> noDeadline = new LinkedHashMap<>(eventOf(ids.get(0), "created", Map.of(Keys.ID, "999999")));
        noDeadline.remove(Keys.DEADLINE);
        String missing = append(noDeadline).get(0);
        ids.addAll(buy(10, 60_000));

        whileWriting("w1", 64, 1000, () -> {
            Deadline.await(Duration.ofSeconds(30), "the 20 orders written and the 2 bad entries set aside",
                    () -> ordersWritten() == 20 && deadLetters() == 2 && pendingEntries() == 0 && lag() == 0);
        });

        assertEquals(asLongs(ids), table().keySet(), "every good order, once (table() fails on a repeated id)");
        List<Map<String, String>> dead = deadLetterEntries();
        assertEquals(2, dead.size(), dead::toString);
        assertEquals(notANumber, dead.get(0).get(Keys.STREAM_ID));
        assertEquals("notanumber", dead.get(0).get(Keys.ID), "the entry's own fields");
        assertEquals("malformed: id 'notanumber' is not a number", dead.get(0).get(Keys.REASON));
        assertEquals(missing, dead.get(1).get(Keys.STREAM_ID));
        assertEquals("malformed: deadline is missing", dead.get(1).get(Keys.REASON));
        assertEquals(2, deadLetters());
    }

    @Test
    void an_event_reusing_an_order_id_for_another_order_is_a_dead_letter_and_the_row_stays() throws Exception {
        List<String> ids = buy(10, 60_000);
        whileWriting("w1", 64, 1000, () -> {
            awaitWritten(10);
            Map<Long, List<String>> before = rows();
            String intruder = ids.get(3);
            String otherTime = ids.get(5);
            String redelivered = ids.get(4);
            String paid = ids.get(6);
            Map<String, String> first = Map.of(Keys.EVENT, "created", Keys.ID, "1000", Keys.USER, "first",
                    Keys.NODE, "3002", Keys.CREATED, "1", Keys.DEADLINE, "2", Keys.STATE, "pending");
            Map<String, String> second = new LinkedHashMap<>(first);
            second.put(Keys.USER, "second");
            List<String> appended = append(
                    eventOf(intruder, "created", Map.of(Keys.USER, "intruder")),
                    eventOf(redelivered, "created", Map.of()),
                    eventOf(otherTime, "paid", Map.of(Keys.STATE, "paid", Keys.CREATED, "12345")),
                    eventOf(paid, "paid", Map.of(Keys.STATE, "paid")),
                    first,
                    second);
            Deadline.await(Duration.ofSeconds(30), "the 6 crafted events handled",
                    () -> ordersWritten() == 11 && pendingEntries() == 0 && lag() == 0);

            assertEquals(3, deadLetters(), () -> "dead letters: " + deadLetterEntries());
            List<Map<String, String>> dead = deadLetterEntries();
            assertEquals(List.of(appended.get(0), appended.get(2), appended.get(5)),
                    dead.stream().map(d -> d.get(Keys.STREAM_ID)).toList());
            List<String> row = before.get(Long.parseLong(intruder));
            assertEquals("conflict: order " + intruder + " exists in the database as sale default, user " + row.get(0)
                    + ", node " + row.get(1) + ", created " + row.get(2) + "; the event says sale default, user intruder,"
                    + " node " + row.get(1) + ", created " + row.get(2), dead.get(0).get(Keys.REASON));
            assertEquals("intruder", dead.get(0).get(Keys.USER), "the entry's own fields");
            assertTrue(dead.get(1).get(Keys.REASON).startsWith("conflict: order " + otherTime + " exists in the database as "),
                    dead.get(1)::toString);
            assertTrue(dead.get(2).get(Keys.REASON).startsWith(
                    "conflict: order 1000 exists in the database as sale default, user first"),
                    dead.get(2)::toString);

            Map<Long, List<String>> after = rows();
            assertEquals(before.get(Long.parseLong(intruder)), after.get(Long.parseLong(intruder)), "the row stays");
            assertEquals(before.get(Long.parseLong(otherTime)), after.get(Long.parseLong(otherTime)),
                    "a conflicting paid event does not pay the row");
            assertEquals(before.get(Long.parseLong(redelivered)), after.get(Long.parseLong(redelivered)),
                    "a redelivery is idempotent");
            assertEquals("paid", after.get(Long.parseLong(paid)).get(3), "a paid event of the same order moves it on");
            assertEquals(List.of("first", "3002", "1", "pending"), after.get(1000L));
        });
    }

    @Test
    void orders_numbered_again_after_redis_lost_its_sequence_are_dead_letters_not_marked_persisted() throws Exception {
        List<String> ids = buy(10, 60_000);
        whileWriting("w1", 64, 1000, () -> {
            awaitWritten(10);
            Map<Long, List<String>> before = rows();
            // Redis loses its last writes (an append-only file that lost its last second): the
            // sequence goes back to 5 and orders 6 to 10 are gone from Redis, not from the database
            try (Jedis jedis = redis.client()) {
                jedis.hset(KEYS.stock(), Keys.SEQ, "5");
                for (String id : ids.subList(5, 10)) {
                    jedis.hdel(KEYS.orders(), id);
                    jedis.srem(KEYS.persisted(), id);
                }
            }
            List<String> again = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                again.add(stock.reserve(new Buyer("again" + i, null), 3002, Terms.of(60_000, 1)).orderId());
            }
            assertEquals(ids.subList(5, 10), again, "the new orders reuse the ids");
            Deadline.await(Duration.ofSeconds(30), "the 5 new orders handled",
                    () -> pendingEntries() == 0 && lag() == 0);

            assertEquals(5, deadLetters(), () -> "dead letters: " + deadLetterEntries());
            assertEquals(before, rows(), "the database keeps the first orders");
            for (String id : again) {
                assertFalse(orders.find(id).orElseThrow().persisted(), "order " + id + " is not the database's");
            }
            assertTrue(deadLetterEntries().stream()
                    .allMatch(d -> d.get(Keys.REASON).startsWith("conflict: order " + d.get(Keys.ID) + " exists")));
        });
    }

    @Test
    void the_writer_reconnects_after_postgresql_restarts_and_every_order_arrives_once() throws Exception {
        usePostgres();
        List<String> bought = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean buying = new AtomicBoolean(true);
        AtomicReference<Throwable> buyerFailed = new AtomicReference<>();
        Thread buyer = new Thread(() -> {
            try {
                for (int i = 0; buying.get(); i++) {
                    Reservation r = stock.reserve(new Buyer("pg" + i, null), 3001, Terms.of(600_000, 1));
                    assertEquals(Outcome.TICKET, r.outcome());
                    bought.add(r.orderId());
                    // about a thousand buys a second: a steady stream, not a flood to catch up on
                    LockSupport.parkNanos(1_000_000);
                }
            } catch (Throwable t) {
                buyerFailed.set(t);
            }
        }, "test-buyer");
        CapturedLog writerLog = CapturedLog.of(OrderWriter.class);
        buyer.start();
        try {
            whileWriting("w1", 100, 1000, () -> {
                Deadline.await(Duration.ofSeconds(30), "the writer to write its first orders", () -> ordersWritten() >= 100);
                postgres.stop();
                int atStop = bought.size();
                Deadline.await(Duration.ofSeconds(30), "300 buys while PostgreSQL is down",
                        () -> bought.size() >= atStop + 300 && pendingEntries() > 0);
                postgres.restart();
                int atStart = bought.size();
                Deadline.await(Duration.ofSeconds(30), "200 buys after PostgreSQL is back", () -> bought.size() >= atStart + 200);
                buying.set(false);
                buyer.join(10_000);
                assertNull(buyerFailed.get(), () -> "the buyer failed: " + buyerFailed.get());
                Deadline.await(Duration.ofSeconds(30), "the writer to catch up with all " + bought.size() + " orders",
                        () -> ordersWritten() == bought.size() && pendingEntries() == 0 && lag() == 0);
            });
        } finally {
            buying.set(false);
            buyer.join(10_000);
            writerLog.close();
            postgres.restart(); // up again for the other tests, whatever happened here
        }
        Map<Long, Long> perId = new HashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl, dbUser, ""); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT id, COUNT(*) FROM orders GROUP BY id")) {
            while (r.next()) {
                perId.put(r.getLong(1), r.getLong(2));
            }
        }
        assertEquals(asLongs(bought), perId.keySet(), "every order bought, and no other");
        assertTrue(perId.values().stream().allMatch(n -> n == 1), "each order once");
        assertEquals(1, writerLog.count(Level.WARNING), writerLog::toString);
        assertEquals(1, writerLog.count("works again"), writerLog::toString);
        System.out.printf("PostgreSQL restarted under the writer: %d orders, each in the database once%n",
                bought.size());
    }

    private long streamLength() {
        try (Jedis jedis = redis.client()) {
            return jedis.xlen(KEYS.orderStream());
        }
    }

    /** The order ids the stream's created events name, in stream order. */
    private Set<Long> createdInStream() {
        try (Jedis jedis = redis.client()) {
            Set<Long> ids = new HashSet<>();
            jedis.xrange(KEYS.orderStream(), "-", "+").stream().map(StreamEntry::getFields)
                    .filter(f -> Keys.CREATED_EVENT.equals(f.get(Keys.EVENT)))
                    .forEach(f -> ids.add(Long.parseLong(f.get(Keys.ID))));
            return ids;
        }
    }

    @Test
    void written_events_leave_the_stream_and_those_no_writer_has_written_stay_until_one_has() throws Exception {
        keepMillis = 0; // trimmed as soon as written: only the acknowledgement holds an event back
        List<String> first = buy(500, 600_000);
        whileWriting("w1", 64, 1000, () -> {
            awaitWritten(500);
            Deadline.await(Duration.ofSeconds(30), "the 500 written events to leave the stream",
                    () -> streamLength() == 0);
        });
        // the writer stopped: 300 more orders; a writer that crashed took 120 of them and wrote none
        List<String> second = buy(300, 600_000);
        try (Jedis jedis = redis.client()) {
            var read = jedis.xreadGroup(RedisOrderStream.GROUP, "crashed", XReadGroupParams.xReadGroupParams()
                    .count(120), Map.of(KEYS.orderStream(), StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
            assertEquals(120, read.get(0).getValue().size());
        }
        // a trim now (any writer's) drops none of them: 120 delivered and unwritten, 180 undelivered
        try (OrderStream trimmer = RedisOrderStream.open(WriterSettings.from(
                settings(redis.asWriter(Map.of("rush.writer.name", "trimmer")))::get), OrderEntries::toDelivery)) {
            trimmer.join();
            assertEquals(new OrderStream.Backlog(300, 0, 300), trimmer.trim(0));
        }
        assertEquals(asLongs(second), createdInStream(), "every unwritten order's event is still there");
        whileWriting("w2", 64, 300, () -> {
            Deadline.await(Duration.ofSeconds(30), "w2 to write the crashed writer's and the new orders, and trim them",
                    () -> ordersWritten() == 800 && pendingEntries() == 0 && streamLength() == 0);
        });
        Set<Long> all = asLongs(first);
        all.addAll(asLongs(second));
        assertEquals(all, table().keySet(), "rows == orders");
        assertEquals(800, stock.snapshot().sold(), "sold == orders");
        try (Jedis jedis = redis.client()) {
            assertEquals("0", jedis.hget(Keys.writerStats(), Keys.LAG), "nothing left unwritten, as recorded");
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
        whileWriting("survivor", 50, 300, () -> {
            Deadline.await(Duration.ofSeconds(30), "the survivor to finish the crashed writer's entries",
                    () -> ordersWritten() == 200 && pendingEntries() == 0);
        });
        assertEquals(asLongs(ids), table().keySet());
    }

    @Test
    void killing_the_writer_process_mid_stream_loses_and_duplicates_nothing() throws Exception {
        int n = 6000;
        List<String> ids = buy(n, 600_000);
        Map<String, String> env = new HashMap<>(Map.of("RUSH_DB_URL", dbUrl, "RUSH_WRITER_NAME", "writer-1",
                "RUSH_WRITER_BATCH", "20"));
        redis.asWriter(Map.of()).forEach((name, value) -> env.put(name.toUpperCase().replace('.', '_'), value));
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
