package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node lets go of what its servlets keep per sale once the sale is archived (docs/archive.md, "A
 * node lets go"): the sold-out answer of {@code /buy/ticket}, the global stock read of {@code /stock},
 * the cluster view of {@code /dashboard/data}; of that sale only. The archiver calls
 * {@code Sales.forget} (SaleArchiveTest holds that it does, and that the seller goes).
 */
class ForgottenSaleTest {
    private static final String TOKEN = "forgotten-sale-test-admin-token";

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        dir = Files.createTempDirectory("rush-forgotten-");
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.node.weight", "1",
                "rush.node.weights.total", "1", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.admin.token", TOKEN, EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()),
                "rush.admin.audit", dir.resolve("admin-audit.log").toString())));
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private void create(String sale, int stock) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.adminUri("/admin/sales?id=" + sale + "&stock=" + stock
                + "&buyers=open")).header("X-Admin-Token", TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(201, response.statusCode(), response::body);
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
}
