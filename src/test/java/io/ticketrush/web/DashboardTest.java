package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.stats.ClusterView;
import io.ticketrush.stats.NodeReport;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The dashboard's data, /metrics and the pages, from two real nodes (weights 1 and 3) sharing one
 * real Redis: every node's counters reach any node's /dashboard/data, and they agree with Redis.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DashboardTest {
    private static final String KEY = "ticket_hash_key";
    private static final Duration REPORTED = Duration.ofSeconds(10);

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private EmbeddedNode light;
    private EmbeddedNode heavy;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        redis.initStock(KEY, 100);
        light = node(1);
        heavy = node(3);
    }

    private EmbeddedNode node(int weight) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.redis.port", String.valueOf(redis.port()),
                "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000",
                "rush.lock.wait.ms", "5000",
                "rush.stock.key", KEY,
                "rush.stock.total", "100",
                "rush.node.weight", String.valueOf(weight),
                "rush.node.weights.total", "4",
                "rush.statlog", dir.resolve("stat-" + weight + ".log").toString())));
        settings.putAll(Payments.SETTINGS);
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        for (EmbeddedNode node : new EmbeddedNode[] {light, heavy}) {
            if (node != null) {
                node.stop();
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void every_nodes_buys_reach_any_nodes_dashboard_data_and_agree_with_redis() {
        buy(light, "ann", "bob", "cid");
        buy(heavy, "dan", "eve", "fay", "gus", "hal");
        assertEquals(400, HttpCall.send("POST", light.uri("/buy/ticket?user=not%20valid")).status());
        HttpCall.Answer again = HttpCall.send("POST", heavy.uri("/buy/ticket?user=dan"));
        assertTrue(again.json().getAsJsonObject("data").get("existing").getAsBoolean(), again::toString);

        JsonObject data = awaitData(light, "both nodes' reports to count every buy",
                d -> requests(d, light) == 4 && requests(d, heavy) == 6);

        JsonObject lightNode = nodeOf(data, light);
        JsonObject heavyNode = nodeOf(data, heavy);
        JsonObject global = data.getAsJsonObject("global");
        assertAll(
                () -> assertEquals(8, redis.sold(KEY)),
                () -> assertEquals(redis.sold(KEY), global.get("sold").getAsLong(), "dashboard sold == Redis sold"),
                () -> assertEquals(100, global.get("total").getAsLong()),
                () -> assertEquals(92, global.get("remaining").getAsLong()),
                () -> assertEquals(3, lightNode.get("tickets").getAsLong()),
                () -> assertEquals(1, lightNode.get("badRequests").getAsLong()),
                () -> assertEquals(5, heavyNode.get("tickets").getAsLong()),
                () -> assertEquals(1, heavyNode.get("existing").getAsLong()),
                () -> assertEquals(8, data.getAsJsonObject("totals").get("tickets").getAsLong()),
                () -> assertEquals(10, data.getAsJsonObject("totals").get("requests").getAsLong()),
                () -> assertEquals(0.25, lightNode.get("expectedShare").getAsDouble(), 1e-9),
                () -> assertEquals(0.75, heavyNode.get("expectedShare").getAsDouble(), 1e-9),
                () -> assertEquals(0.4, lightNode.get("share").getAsDouble(), 1e-9),
                () -> assertEquals(3, lightNode.get("localSold").getAsInt()),
                () -> assertEquals(lightNode.get("quota").getAsInt() - 3, lightNode.get("localLeft").getAsInt()),
                () -> assertTrue(lightNode.get("up").getAsBoolean()),
                () -> assertTrue(heavyNode.get("up").getAsBoolean()),
                () -> assertEquals(8, data.getAsJsonObject("orders").get("pending").getAsLong()),
                () -> assertEquals(0, data.getAsJsonObject("orders").get("paid").getAsLong()),
                () -> assertEquals(light.port(), data.get("answeredBy").getAsInt()));

        String order = orderOf(HttpCall.get(light.uri("/orders?user=ann")));
        assertEquals(200, Payments.payOverHttp(heavy::uri, order, "ann").status());
        JsonObject paid = awaitData(heavy, "the payment in the order counts",
                d -> d.getAsJsonObject("orders").get("paid").getAsLong() == 1);
        assertEquals(7, paid.getAsJsonObject("orders").get("pending").getAsLong());
        assertEquals(8, paid.getAsJsonObject("global").get("sold").getAsLong(), "a paid ticket stays sold");
    }

    @Test
    void a_node_that_stops_shows_as_down_before_its_last_report_is_old() {
        buy(light, "ann");
        buy(heavy, "bob");
        awaitData(light, "both nodes up", d -> nodeUp(d, light) && nodeUp(d, heavy));
        int heavyPort = heavy.port();

        heavy.stop();
        heavy = null;

        // the data is read at most once a second: the next read shows the node's last report, "stopped"
        JsonObject data = awaitData(light, "the stopped node shown down",
                d -> !nodeOf(d, heavyPort).get("up").getAsBoolean());
        JsonObject gone = nodeOf(data, heavyPort);
        // down because it said so as it stopped, not because its report grew old
        assertTrue(gone.get("ageMs").getAsLong() < ClusterView.DOWN_AFTER_MILLIS, gone::toString);
        assertEquals(1, gone.get("tickets").getAsLong(), "its last counts are still shown");
        assertEquals(0.0, gone.get("rps").getAsDouble());
        assertEquals(1, data.getAsJsonObject("totals").get("nodesUp").getAsInt());
    }

    @Test
    void metrics_are_prometheus_text_with_the_buy_counters_and_a_cached_global_gauge() {
        buy(light, "ann", "bob");
        assertEquals(400, HttpCall.send("POST", light.uri("/buy/ticket?user=%21")).status());

        HttpCall.Answer metrics = HttpCall.get(light.uri("/metrics"));

        assertEquals(200, metrics.status());
        assertTrue(metrics.contentType().startsWith("text/plain; version=0.0.4"), metrics.contentType());
        String text = metrics.body();
        assertAll(
                () -> assertEquals(2.0, sample(text, "rush_buy_requests_total{result=\"ticket\"}")),
                () -> assertEquals(1.0, sample(text, "rush_buy_requests_total{result=\"bad_request\"}")),
                () -> assertEquals(0.0, sample(text, "rush_buy_requests_total{result=\"sold_out\"}")),
                () -> assertEquals(2.0, sample(text, "rush_tickets_sold_total")),
                () -> assertTrue(sample(text, "rush_buy_seconds_count") >= 3, "every buy is timed"),
                () -> assertTrue(text.contains("rush_buy_seconds_bucket{le="), "a histogram for quantiles"),
                () -> assertEquals(sample(text, "rush_local_stock_quota") - 2, sample(text, "rush_local_stock_remaining")),
                () -> assertEquals(1.0, sample(text, "rush_node_weight")));
        Deadline.await(REPORTED, "the global gauge to show the stock Redis holds", () ->
                sample(HttpCall.get(light.uri("/metrics")).body(), "rush_global_stock_remaining") == 98.0);
    }

    @Test
    void the_order_writers_dead_letters_reach_the_dashboard_data_and_every_nodes_metrics() {
        buy(light, "ann");
        buy(heavy, "bob");
        awaitData(light, "no dead letter yet", d -> d.getAsJsonObject("orders").get("deadLetters").getAsLong() == 0);
        try (Jedis jedis = redis.client()) {
            jedis.hincrBy(Keys.writerStats(), Keys.DEAD_LETTERS, 3); // as the order writer counts them
        }

        awaitData(heavy, "3 dead letters on the dashboard",
                d -> d.getAsJsonObject("orders").get("deadLetters").getAsLong() == 3);
        for (EmbeddedNode node : List.of(light, heavy)) {
            Deadline.await(REPORTED, "the dead letters gauge of node " + node.port() + " to show 3", () ->
                    sample(HttpCall.get(node.uri("/metrics")).body(), "rush_orders_dead_letters") == 3.0);
        }
    }

    @Test
    void the_order_writers_lag_reaches_every_nodes_metrics() {
        buy(light, "ann");
        try (Jedis jedis = redis.client()) { // as an order writer records it once a second
            jedis.hset(Keys.writerStats(), Map.of(Keys.LAG, "7", Keys.LAG_AT, String.valueOf(System.currentTimeMillis())));
        }
        for (EmbeddedNode node : List.of(light, heavy)) {
            Deadline.await(REPORTED, "the writer lag gauge of node " + node.port() + " to show 7", () ->
                    sample(HttpCall.get(node.uri("/metrics")).body(), "rush_orders_writer_lag") == 7.0);
        }
    }

    @Test
    void the_pages_are_served_at_slash_and_dashboard_and_folders_are_not_listed() {
        HttpCall.Answer buyPage = HttpCall.get(light.uri("/"));
        assertEquals(200, buyPage.status());
        assertTrue(buyPage.contentType().startsWith("text/html"), buyPage.contentType());
        assertTrue(buyPage.body().contains("Buy a train ticket"));
        HttpCall.Answer dashboard = HttpCall.get(light.uri("/dashboard"));
        assertEquals(200, dashboard.status());
        assertTrue(dashboard.body().contains("Live sale"));
        assertEquals(200, HttpCall.get(light.uri("/js/dashboard.js")).status());
        HttpCall.Answer folder = HttpCall.get(light.uri("/js/"));
        assertEquals(403, folder.status(), folder::toString);
        assertEquals("forbidden", folder.json().get("error").getAsString(), "no folder listing, a JSON error");
    }

    @Test
    void pages_metrics_and_noop_answer_head_and_any_other_method_a_json_405_or_404() throws Exception {
        HttpClient client = HttpCall.newClient();
        for (String path : List.of("/", "/index.html", "/dashboard", "/metrics", "/noop")) {
            assertEquals(200, HttpCall.send("HEAD", light.uri(path)).status(), "HEAD " + path);
            // not TRACE: Jetty's webdefault forbids it before the webapp (a 403; Nginx refuses TRACE itself)
            for (String method : List.of("PUT", "DELETE", "OPTIONS", "PATCH", "FOO")) {
                HttpResponse<String> refused = send(client, method, path);
                String what = method + " " + path + ": " + refused.statusCode() + " " + refused.body();
                assertEquals(405, refused.statusCode(), what);
                assertEquals("GET, HEAD", refused.headers().firstValue("Allow").orElse(""), what);
                assertEquals("method_not_allowed", error(refused), what);
            }
        }
        for (String method : List.of("PUT", "OPTIONS", "FOO")) {
            HttpResponse<String> unknown = send(client, method, "/no/such/path");
            String what = method + " /no/such/path: " + unknown.statusCode() + " " + unknown.body();
            assertEquals(404, unknown.statusCode(), what);
            assertEquals("not_found", error(unknown), what);
        }
    }

    private HttpResponse<String> send(HttpClient client, String method, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(light.uri(path)).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> response) {
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                () -> "not JSON: " + response.headers().map() + " " + response.body());
        return new HttpCall.Answer(response.statusCode(), response.body(), "").json().get("error").getAsString();
    }

    @Test
    void the_view_calls_a_silent_node_down_and_forgets_one_silent_for_ten_minutes() {
        long now = 1_000_000_000L;
        Map<String, String> reports = Map.of(
                "3001", report(3001, now - 100),
                "3002", report(3002, now - ClusterView.DOWN_AFTER_MILLIS - 1),
                "3003", report(3003, now - ClusterView.FORGET_AFTER_MILLIS - 1));
        Map<String, Object> view = ClusterView.view(new ClusterView.Raw(reports, null, 0, 0, 0, 0, null, 0), now);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> nodes = (List<Map<String, Object>>) view.get("nodes");
        assertEquals(2, nodes.size(), nodes::toString);
        assertEquals(true, nodes.get(0).get("up"));
        assertEquals(false, nodes.get(1).get("up"));
        assertNull(view.get("global"), "no sale in Redis");
        @SuppressWarnings("unchecked")
        Map<String, Object> orders = (Map<String, Object>) view.get("orders");
        assertEquals(0L, orders.get("deadLetters"));
        assertEquals(0.5, (Double) nodes.get(0).get("expectedShare"), 1e-9);
    }

    private static String report(int port, long ts) {
        return Json.toJson(new NodeReport(port, 1, 10, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ts - 5000, ts, false, 0));
    }

    private static void buy(EmbeddedNode node, String... users) {
        for (String user : users) {
            HttpCall.Answer answer = HttpCall.send("POST", node.uri("/buy/ticket?user=" + user));
            assertEquals(1, answer.code(), answer::toString);
        }
    }

    private static String orderOf(HttpCall.Answer orders) {
        return orders.json().getAsJsonObject("data").getAsJsonArray("orders").get(0).getAsJsonObject()
                .get("orderId").getAsString();
    }

    private static JsonObject data(EmbeddedNode node) {
        HttpCall.Answer answer = HttpCall.get(node.uri("/dashboard/data"));
        assertEquals(200, answer.status(), answer::toString);
        return answer.json().getAsJsonObject("data");
    }

    private static JsonObject awaitData(EmbeddedNode node, String what, java.util.function.Predicate<JsonObject> done) {
        JsonObject[] last = new JsonObject[1];
        Deadline.await(REPORTED, what, () -> done.test(last[0] = data(node)));
        return last[0];
    }

    private static long requests(JsonObject data, EmbeddedNode node) {
        JsonObject found = find(data, node.port());
        return found == null ? -1 : found.get("requests").getAsLong();
    }

    private static boolean nodeUp(JsonObject data, EmbeddedNode node) {
        JsonObject found = find(data, node.port());
        return found != null && found.get("up").getAsBoolean();
    }

    private static JsonObject nodeOf(JsonObject data, EmbeddedNode node) {
        return nodeOf(data, node.port());
    }

    private static JsonObject nodeOf(JsonObject data, int port) {
        JsonObject found = find(data, port);
        if (found == null) {
            throw new AssertionError("no node " + port + " in " + data);
        }
        return found;
    }

    private static JsonObject find(JsonObject data, int port) {
        JsonArray nodes = data.getAsJsonArray("nodes");
        for (JsonElement node : nodes) {
            if (node.getAsJsonObject().get("port").getAsInt() == port) {
                return node.getAsJsonObject();
            }
        }
        return null;
    }

    /** The value of one sample line of the Prometheus text, e.g. {@code rush_tickets_sold_total 2.0}. */
    private static double sample(String text, String name) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        if (!line.find()) {
            throw new AssertionError("no sample " + name + " in:\n" + text);
        }
        return Double.parseDouble(line.group(1));
    }
}
