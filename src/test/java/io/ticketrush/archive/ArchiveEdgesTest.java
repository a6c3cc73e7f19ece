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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.google.gson.JsonObject;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The edges of the archive (docs/archive.md) with a real redis-server, a real H2 file written by a real
 * order writer, and a node that archives (retention 1 s, a round every 100 ms, tombstones pruned once the
 * database holds them: rush.archive.tombstone.days=0): an archived sale whose tombstone left Redis keeps
 * its id refused and its orders answering; a tombstone the database lacks stays; a database out of
 * reach refuses creations; a provider's callback after the archive is recorded, not lost.
 */
class ArchiveEdgesTest extends ArchiveTestBase {
    @Override
    void settings(Map<String, String> settings) {
        settings.put("rush.archive.tombstone.days", "0"); // pruned once the database holds them
    }

    private long count(String sql, String arg) {
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement count = c.prepareStatement(sql)) {
            count.setString(1, arg);
            try (ResultSet rs = count.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e, e);
        }
    }

    private boolean tombstone(String sale) {
        try (Jedis jedis = redis.client()) {
            return jedis.hexists(Keys.archivedSales(), sale);
        }
    }

    /** The node's archiver stands aside: the test alone archives, step by step. */
    private void standAside() {
        try (Jedis jedis = redis.client()) {
            jedis.psetex(Keys.archiver(), 120_000, "the-test");
        }
    }

    private void awaitWritten(String sale, int orders) {
        Keys k = keys(sale);
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "every order and event of " + sale + " written", () -> {
            try (Jedis jedis = redis.client()) {
                return jedis.scard(k.persisted()) == orders && jedis.xlen(k.orderStream()) == 0;
            }
        });
    }

    @Test
    void a_sale_whose_tombstone_left_redis_keeps_its_id_refused_and_its_orders_answering() throws Exception {
        writer = new Writer();
        Map<String, String> orders = finishedSale("OLD", 3, 1);
        // archived, recorded in archived_sales, and (tombstones kept 0 days) its tombstone gone from Redis
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "sale OLD archived and its tombstone pruned", () -> {
            try (Jedis jedis = redis.client()) {
                return !jedis.exists(keys("OLD").stock()) && !jedis.hexists(Keys.archivedSales(), "OLD")
                        && count("SELECT COUNT(*) FROM archived_sales WHERE id = ?", "OLD") == 1;
            }
        });
        int paid = paidOf.get("OLD"); // 1, unless the provider's callback came after the order's second to pay
        assertEquals(1, count("SELECT COUNT(*) FROM archived_sales WHERE id = ? AND sold = " + paid + " AND paid = "
                + paid + " AND total = 3", "OLD"), "the database holds the sale's last figures");
        assertEquals(Set.of(), keysOf("OLD"));

        Map<String, String> before = snapshot();
        HttpCall.Answer again = send("POST", "/admin/sales?id=OLD&stock=5", null, true);
        assertEquals(409, again.status(), again::toString);
        assertEquals("conflict", again.json().get("error").getAsString(), again::toString);
        assertEquals("archived", again.json().get("reason").getAsString(), again::toString);
        assertEquals(before, snapshot(), "a refused creation changes nothing in Redis");

        int paidSeen = 0;
        for (Map.Entry<String, String> order : orders.entrySet()) {
            HttpCall.Answer own = send("GET", "/order?id=" + order.getValue(), token(order.getKey()), false);
            assertEquals(200, own.status(), own::toString);
            JsonObject data = own.json().getAsJsonObject("data");
            assertTrue(data.get("archived").getAsBoolean(), own::toString);
            paidSeen += "paid".equals(data.get("state").getAsString()) ? 1 : 0;
            HttpCall.Answer stranger = send("GET", "/order?id=" + order.getValue(), token("stranger"), false);
            assertEquals(404, stranger.status(), stranger::toString);
        }
        assertEquals(paid, paidSeen, "the paid order answers paid from the database");
    }

    @Test
    void a_tombstone_the_database_lacks_stays_in_redis() throws Exception {
        standAside();
        writer = new Writer();
        finishedSale("KEEP", 2, 1);
        awaitWritten("KEEP", 2);
        awaitDue("KEEP");
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                ArchivedOrders db = database()) {
            TombstonePruner pruner = new TombstonePruner(store.archive(), db, 0);
            Archiver direct = new Archiver(store.archive(), db, RETENTION_S * 1000, "the-test", 120_000, id -> { },
                    pruner);
            assertEquals(SaleArchive.Readiness.READY, direct.archive("KEEP"));
            assertTrue(tombstone("KEEP"));
            assertEquals(1, count("SELECT COUNT(*) FROM archived_sales WHERE id = ?", "KEEP"),
                    "recorded in the database as it was archived");
            // the row goes missing (a database restored from an older backup, a row deleted by hand)
            try (Connection c = DriverManager.getConnection(dbUrl, "sa", ""); Statement s = c.createStatement()) {
                assertEquals(1, s.executeUpdate("DELETE FROM archived_sales WHERE id = 'KEEP'"));
            }
            assertEquals(0, pruner.pruneDue(), "nothing pruned");
            assertTrue(tombstone("KEEP"), "a tombstone the database lacks stays");
            assertEquals(1, count("SELECT COUNT(*) FROM archived_sales WHERE id = ?", "KEEP"),
                    "recorded again from its tombstone");
            // the next round reads it in the database: now it may go
            assertEquals(1, pruner.pruneDue());
            assertFalse(tombstone("KEEP"));
        }
    }

    @Test
    void with_the_database_out_of_reach_a_creation_answers_503_and_makes_nothing() throws Exception {
        node.stop();
        Map<String, String> settings = new HashMap<>(nodeSettings);
        // an H2 server that is not there: the database is configured but out of reach
        settings.put("rush.archive.db.url", "jdbc:h2:tcp://127.0.0.1:" + FreePort.find() + "/nowhere");
        node = EmbeddedNode.start(settings);
        Map<String, String> before = snapshot();
        HttpCall.Answer created = send("POST", "/admin/sales?id=FRESH&stock=5", null, true);
        assertEquals(503, created.status(), created::toString);
        assertEquals("unavailable", created.json().get("error").getAsString(), created::toString);
        assertEquals(before, snapshot(), "nothing created in Redis");
    }

    /** The provider's signed word that {@code payment} of {@code amount} for {@code order} succeeded, in event {@code event}. */
    private HttpCall.Answer callback(String event, String payment, String order, long amount) {
        String body = Payments.event(event, payment, order, amount);
        return Payments.callback(node.uri("/pay/callback"), body, Payments.sign(System.currentTimeMillis() / 1000, body));
    }

    @Test
    void a_provider_callback_after_the_archive_is_recorded_once_as_owed_back_and_answered() throws Exception {
        writer = new Writer();
        create("LATE", 2, 1);
        String order = buy("LATE", "late-buyer");
        HttpCall.Answer started = send("POST", "/pay?order=" + order, token("late-buyer"), false);
        assertEquals(202, started.status(), started::toString);
        String payment = started.json().getAsJsonObject("data").get("paymentId").getAsString();
        long amount = started.json().getAsJsonObject("data").get("amount").getAsLong();
        // the buyer never finishes paying: the order expires, the sale closes and is archived (and pruned)
        Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "the order of LATE to expire", () -> {
            try (Jedis jedis = redis.client()) {
                return "1".equals(jedis.hget(keys("LATE").stock(), Keys.EXPIRED));
            }
        });
        close("LATE");
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "sale LATE archived and its tombstone pruned", () -> {
            try (Jedis jedis = redis.client()) {
                return !jedis.exists(keys("LATE").stock()) && !jedis.hexists(Keys.archivedSales(), "LATE")
                        && count("SELECT COUNT(*) FROM archived_sales WHERE id = ?", "LATE") == 1;
            }
        });

        // then the provider's word that the money came
        String event = Payments.eventId();
        HttpCall.Answer first = callback(event, payment, order, amount);
        assertEquals(200, first.status(), first::toString);
        JsonObject data = first.json().getAsJsonObject("data");
        assertEquals("refund_due", data.get("outcome").getAsString(), first::toString);
        assertFalse(data.get("repeated").getAsBoolean(), first::toString);
        assertEquals(1, count("SELECT COUNT(*) FROM late_payments WHERE payment_id = ?", payment), "recorded");
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement select = c.prepareStatement("SELECT order_id, sale_id, amount, event_id FROM"
                        + " late_payments WHERE payment_id = ?")) {
            select.setString(1, payment);
            try (ResultSet row = select.executeQuery()) {
                assertTrue(row.next());
                assertEquals(Long.parseLong(node.app().orderIds().toInternal(order).orElseThrow()), row.getLong(1));
                assertEquals("LATE", row.getString(2));
                assertEquals(amount, row.getLong(3));
                assertEquals(event, row.getString(4));
            }
        }

        // the provider retries: the same event, and the same payment in an event of its own
        for (String again : List.of(event, Payments.eventId())) {
            HttpCall.Answer retried = callback(again, payment, order, amount);
            assertEquals(200, retried.status(), retried::toString);
            JsonObject seen = retried.json().getAsJsonObject("data");
            assertEquals("refund_due", seen.get("outcome").getAsString(), retried::toString);
            assertTrue(seen.get("repeated").getAsBoolean(), retried::toString);
        }
        assertEquals(1, count("SELECT COUNT(*) FROM late_payments WHERE payment_id = ?", payment), "recorded once");
        assertEquals(1, count("SELECT COUNT(*) FROM late_payments WHERE sale_id = ?", "LATE"));
        // another amount for the same payment is not that payment
        HttpCall.Answer other = callback(Payments.eventId(), payment, order, amount + 1);
        assertEquals(400, other.status(), other::toString);
        assertEquals("payment_mismatch", other.json().get("error").getAsString(), other::toString);
        assertEquals(Set.of(), keysOf("LATE"), "nothing of the archived sale came back to Redis");
    }
}
