package io.ticketrush.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.TempFiles;
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
 * A hot sale archived on a real Redis Cluster (docs/archive.md): its three buckets on three
 * different masters, so no one script sees them all; each is checked and deleted in its own slot,
 * its home last. Afterwards no master holds a key of the sale or of any bucket, and the database
 * holds every order.
 */
class ClusteredSaleArchiveTest {
    private static final String ADMIN = "clustered-archive-test-admin";
    private static final int BUCKETS = 3;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisClusterGroup group;
    private Path dir;
    private String dbUrl;
    private EmbeddedNode node;
    private OrderStore store;
    private OrderStream stream;
    private OrderWriter writer;
    private Thread writerThread;

    @BeforeEach
    void start() throws Exception {
        group = RedisClusterGroup.start(3);
        dir = Files.createTempDirectory("rush-clustered-archive-");
        dbUrl = "jdbc:h2:file:" + dir.resolve("orders");
        store = new OrderStore(dbUrl, "sa", "");
        Map<String, String> settings = new HashMap<>(group.settings());
        settings.putAll(Map.of("rush.node.weight", "1", "rush.node.weights.total", "1", "rush.statlog",
                dir.resolve("stat.log").toString(), "rush.admin.token", ADMIN, "rush.sweep.ms", "100",
                "rush.sync.ms", "100", "rush.admin.audit", dir.resolve("admin-audit.log").toString(),
                "rush.sale.retention.seconds", "1", "rush.archive.ms", "100"));
        settings.put("rush.archive.db.url", dbUrl);
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() throws Exception {
        if (writer != null) {
            writer.stop();
            writerThread.join(10_000);
            assertFalse(writerThread.isAlive(), "the writer stops within 10 s");
            stream.close();
        }
        if (store != null) {
            store.close();
        }
        if (node != null) {
            node.stop();
        }
        if (group != null) {
            group.close();
        }
        if (dir != null) {
            TempFiles.deleteRecursively(dir);
        }
    }

    private HttpCall.Answer admin(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.adminUri(path)).header("X-Admin-Token", ADMIN)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpCall.newClient().send(request, HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    private static String stockKey(String sale) {
        return Keys.of(sale, "ticket_hash_key").stock();
    }

    /** A sale id from {@code prefix} whose buckets' keys lie on three different masters. */
    private String spreadOverEveryMaster(String prefix) {
        for (int i = 0;; i++) {
            Set<Integer> masters = new HashSet<>();
            for (int b = 0; b < BUCKETS; b++) {
                masters.add(group.masterOf(stockKey(prefix + i + "--" + b)));
            }
            if (masters.size() == BUCKETS) {
                return prefix + i;
            }
        }
    }

    /** Every key of {@code sales} on every master (SCAN on each). */
    private Set<String> keysOnEveryMaster(List<String> sales) {
        Set<String> found = new TreeSet<>();
        for (int master : group.masterPorts()) {
            try (Jedis jedis = group.connect(master)) {
                for (String sale : sales) {
                    String cursor = ScanParams.SCAN_POINTER_START;
                    do {
                        ScanResult<String> page = jedis.scan(cursor, new ScanParams().match("rush:{" + sale + "}:*")
                                .count(1000));
                        page.getResult().forEach(key -> found.add(master + " " + key));
                        cursor = page.getCursor();
                    } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
                }
            }
        }
        return found;
    }

    private long rows(List<String> sales) throws SQLException {
        long n = 0;
        try (Connection c = DriverManager.getConnection(dbUrl, "sa", "");
                PreparedStatement count = c.prepareStatement("SELECT COUNT(*) FROM orders WHERE sale_id = ?")) {
            for (String sale : sales) {
                count.setString(1, sale);
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }

    private String field(String key, String field) {
        try (Jedis jedis = group.connect(group.masterOf(key))) {
            return jedis.hget(key, field);
        }
    }

    @Test
    void a_hot_sale_with_a_bucket_on_each_master_is_archived_and_no_master_keeps_a_key_of_it() throws Exception {
        String sale = spreadOverEveryMaster("CA" + System.nanoTime() % 100_000 + "x");
        List<String> all = new ArrayList<>(List.of(sale));
        for (int b = 0; b < BUCKETS; b++) {
            all.add(sale + "--" + b);
        }
        HttpCall.Answer created = admin("/admin/sales?id=" + sale + "&stock=9&pay-within=1&buyers=open&buckets="
                + BUCKETS);
        assertEquals(201, created.status(), created::toString);
        for (int i = 0; i < 9; i++) {
            HttpCall.Answer bought = HttpCall.send("POST", node.uri("/buy/ticket?sale=" + sale + "&user=c" + i));
            assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        }
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "the 9 unpaid orders to expire", () -> {
            long expired = 0;
            for (String bucket : all.subList(1, all.size())) {
                String e = field(stockKey(bucket), Keys.EXPIRED);
                expired += e == null ? 0 : Long.parseLong(e);
            }
            return expired == 9;
        });
        assertEquals(200, admin("/admin/sales/close?id=" + sale).status());
        Set<Integer> masters = new HashSet<>();
        for (String bucket : all.subList(1, all.size())) {
            masters.add(group.masterOf(stockKey(bucket)));
            assertTrue(keysOnEveryMaster(List.of(bucket)).size() > 1, "bucket " + bucket + " holds its orders");
        }
        assertEquals(BUCKETS, masters.size(), "a bucket on each master");

        // the writer, started only now: before it the sale cannot go (its orders are not in the database)
        Map<String, String> writerSettings = new HashMap<>(group.writerSettings());
        writerSettings.putAll(Map.of("rush.writer.name", "w1", "rush.stream.keep.ms", "0"));
        stream = RedisOrderStream.open(WriterSettings.from(writerSettings::get), OrderEntries::toDelivery);
        writer = new OrderWriter(stream, store, "w1", 500, 5000, 0);
        writerThread = new Thread(writer, "test-writer");
        writerThread.start();

        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "sale " + sale + " archived", () -> {
            try (Jedis jedis = group.connect(group.masterOf(Keys.archivedSales()))) {
                return jedis.hexists(Keys.archivedSales(), sale) && keysOnEveryMaster(all).isEmpty();
            }
        });
        assertEquals(Set.of(), keysOnEveryMaster(all), "no master keeps a key of the sale or of a bucket");
        assertEquals(9, rows(all), "every order in the database");
        try (Jedis jedis = group.connect(group.masterOf(Keys.sales()))) {
            for (String id : all) {
                assertFalse(jedis.sismember(Keys.sales(), id), id + " no longer listed");
            }
        }
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "the node to let go of the sale and its buckets",
                () -> all.stream().allMatch(id -> node.app().sales().existingSeller(id).isEmpty())
                        && node.app().redis().following() == 0);
    }
}
