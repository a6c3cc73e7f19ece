package io.ticketrush.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Archiving finished sales (docs/archive.md) with a real redis-server, a real H2 file written by a
 * real order writer, and a node that archives (rush.sale.retention.seconds=1, a round every 100 ms): a sale
 * leaves Redis only once the database holds every one of its orders as Redis does; then its orders
 * answer from the database, to their buyer alone, its id is refused, and the node lets go of it.
 */
class SaleArchiveTest extends ArchiveTestBase {
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
