package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
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

/**
 * A node lets go of what its servlets keep per sale once the sale is archived (docs/archive.md, "A
 * node lets go"): the sold-out answer of {@code /buy/ticket}, the global stock read of {@code /stock},
 * the cluster view of {@code /dashboard/data}; of that sale only. The archiver calls
 * {@code Sales.forget} (SaleArchiveTest holds that it does, and that the seller goes); another node
 * forgets when it next reads the sales, also a sale it only answered reads of.
 */
class ForgottenSaleTest {
    private static final String TOKEN = "forgotten-sale-test-admin-token";

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisServer redis;
    /** Archives (a retention of 1 s, a round every 100 ms), against the database the writer writes. */
    private EmbeddedNode node;
    /** Archives nothing: learns of an archive by reading the sales (every 100 ms). */
    private EmbeddedNode other;
    private Path dir;
    private OrderStore store;
    private OrderStream stream;
    private OrderWriter writer;
    private Thread writing;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        dir = Files.createTempDirectory("rush-forgotten-");
        String dbUrl = "jdbc:h2:file:" + dir.resolve("orders");
        store = new OrderStore(dbUrl, "sa", "");
        stream = RedisOrderStream.open(WriterSettings.from(redis.asWriter(Map.of("rush.writer.name", "w1",
                "rush.stream.keep.ms", "0"))::get), OrderEntries::toDelivery);
        writer = new OrderWriter(stream, store, "w1", 500, 5000, 0);
        writing = new Thread(writer, "test-writer");
        writing.start();
        Map<String, String> archiving = new HashMap<>(settings("a"));
        archiving.put("rush.sale.retention.seconds", "1");
        archiving.put("rush.archive.ms", "100");
        archiving.put("rush.archive.db.url", dbUrl);
        node = EmbeddedNode.start(archiving);
        other = EmbeddedNode.start(settings("b"));
    }

    private Map<String, String> settings(String name) {
        return settings(name, 100);
    }

    private Map<String, String> settings(String name, long syncMillis) {
        return redis.asNode(Map.of("rush.node.weight", "1", "rush.node.weights.total", "2", "rush.statlog",
                dir.resolve(name + "-stat.log").toString(), "rush.admin.token", TOKEN, EmbeddedNode.ADMIN_PORT,
                String.valueOf(FreePort.find()), "rush.admin.audit", dir.resolve(name + "-admin-audit.log").toString(),
                "rush.sync.ms", String.valueOf(syncMillis), "rush.sweep.ms", "100"));
    }

    @AfterEach
    void stop() throws Exception {
        other.stop();
        node.stop();
        writer.stop();
        writing.join(10_000);
        assertFalse(writing.isAlive(), "the writer stops within 10 s");
        stream.close();
        store.close();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private void admin(String action, int status) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.adminUri("/admin/" + action)).header("X-Admin-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(status, response.statusCode(), response::body);
    }

    private void create(String sale, int stock) throws Exception {
        admin("sales?id=" + sale + "&stock=" + stock + "&buyers=open", 201);
    }

    /** Sold out: every ticket bought, then one buyer more told sold out; its stock and view read. */
    private void soldOutAndRead(String sale) throws Exception {
        create(sale, 2);
        for (int i = 0; i < 2; i++) {
            HttpCall.Answer bought = HttpCall.send("POST", node.uri("/buy/ticket?sale=" + sale + "&user=u" + i));
            assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        }
        HttpCall.Answer late = HttpCall.send("POST", node.uri("/buy/ticket?sale=" + sale + "&user=late"));
        assertEquals(-1, late.json().get("code").getAsInt(), late::toString);
        HttpCall.Answer stock = HttpCall.get(node.uri("/stock?sale=" + sale));
        assertEquals(2, stock.json().getAsJsonObject("data").getAsJsonObject("global").get("sold").getAsLong(),
                stock::toString);
        HttpCall.Answer view = HttpCall.get(node.uri("/dashboard/data?sale=" + sale));
        assertEquals(200, view.status(), view::toString);
    }

    @Test
    void an_archived_sale_leaves_the_servlets_per_sale_answers_and_reads_and_no_other_sale_does() throws Exception {
        soldOutAndRead("GONE");
        soldOutAndRead("KEPT");
        BuyTicketServlet buy = node.servlet(BuyTicketServlet.class);
        StockServlet stock = node.servlet(StockServlet.class);
        DashboardServlet dashboard = node.servlet(DashboardServlet.class);
        for (String sale : new String[] {"GONE", "KEPT"}) {
            assertTrue(buy.holds(sale), "the sold-out answer of " + sale + " is kept before");
            assertTrue(stock.holds(sale), "the stock read of " + sale + " is kept before");
            assertTrue(dashboard.holds(sale), "the view of " + sale + " is kept before");
        }

        // what the archiver does once the sale left Redis (Archiver's onArchived: Sales.forget)
        node.app().sales().forget("GONE");

        assertFalse(buy.holds("GONE"), "/buy/ticket let go of the archived sale's sold-out answer");
        assertFalse(stock.holds("GONE"), "/stock let go of the archived sale's stock read");
        assertFalse(dashboard.holds("GONE"), "/dashboard/data let go of the archived sale's view");
        assertTrue(node.app().sales().existingSeller("GONE").isEmpty(), "the node let go of its seller");
        assertTrue(buy.holds("KEPT") && stock.holds("KEPT") && dashboard.holds("KEPT"), "another sale stays");
    }

    @Test
    void a_node_that_only_read_a_sale_lets_go_of_its_reads_once_it_learns_the_sale_was_archived() throws Exception {
        // sold on the archiving node alone; the other node answers reads of it and never sells it
        admin("sales?id=READ&stock=1&buyers=open&pay-within=1", 201);
        HttpCall.Answer bought = HttpCall.send("POST", node.uri("/buy/ticket?sale=READ&user=u0"));
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        assertEquals(200, HttpCall.get(other.uri("/stock?sale=READ")).status());
        assertEquals(200, HttpCall.get(other.uri("/dashboard/data?sale=READ")).status());
        StockServlet stock = other.servlet(StockServlet.class);
        DashboardServlet dashboard = other.servlet(DashboardServlet.class);
        assertTrue(stock.holds("READ") && dashboard.holds("READ"), "the other node keeps its reads before");
        assertTrue(other.app().sales().existingSeller("READ").isEmpty(), "the other node has no seller of it");

        admin("sales/close?id=READ", 200);
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "sale READ archived (its order expired, written)", () -> {
            try (Jedis jedis = redis.client()) {
                return jedis.hexists(Keys.archivedSales(), "READ");
            }
        });
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "the other node to let go of its reads of READ",
                () -> !stock.holds("READ") && !dashboard.holds("READ"));
    }

    @Test
    void a_node_whose_stock_sync_finds_a_sale_archived_since_it_read_the_sales_forgets_it_and_reports_no_failure()
            throws Exception {
        // a third node that reads the sales only when asked for one it does not know: it sold SYNC and
        // still holds its seller when another node archives it
        EmbeddedNode late = EmbeddedNode.start(settings("c", 3_600_000));
        try {
            admin("sales?id=SYNC&stock=1&buyers=open&pay-within=1", 201);
            admin("sales?id=LIVE&stock=5&buyers=open", 201);
            for (String sale : new String[] {"SYNC", "LIVE"}) {
                HttpCall.Answer bought = HttpCall.send("POST", late.uri("/buy/ticket?sale=" + sale + "&user=u0"));
                assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
            }
            admin("sales/close?id=SYNC", 200);
            Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "sale SYNC archived (its order expired, written)", () -> {
                try (Jedis jedis = redis.client()) {
                    return jedis.hexists(Keys.archivedSales(), "SYNC");
                }
            });
            assertTrue(late.app().sales().existingSeller("SYNC").isPresent(), "the late node still sells SYNC");

            late.app().sales().sync(); // a failure here would be logged as "stock sync failed" every round

            assertTrue(late.app().sales().existingSeller("SYNC").isEmpty(), "the sync let go of the archived sale");
            assertTrue(late.app().sales().existingSeller("LIVE").isPresent(), "and of no other");
        } finally {
            late.stop();
        }
    }
}
