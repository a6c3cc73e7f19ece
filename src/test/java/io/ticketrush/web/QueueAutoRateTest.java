package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.ticketrush.stats.NodeReport;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /admin/sales?...&queue=auto} through a real node: refused while no node has measured
 * its capacity to sell, then the rate derived from what the node published (half its measured
 * tickets a second), shown as the sale's {@code admitPerSecond}.
 */
class QueueAutoRateTest {
    private static final String KEY = "ticket_hash_key";
    private static final String ADMIN = "queue-auto-admin-token";

    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws IOException {
        redis = RedisServer.start();
        redis.initStock(KEY, 100);
        dir = Files.createTempDirectory("rush-queue-auto-");
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.stock.total", "100",
                "rush.node.weight", "10", "rush.node.weights.total", "10",
                "rush.statlog", dir.resolve("stat.log").toString(), "rush.admin.token", ADMIN,
                "rush.admin.audit", dir.resolve("admin-audit.log").toString())));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private HttpCall.Answer create(String id) throws Exception {
        HttpResponse<String> r = HttpCall.newClient().send(HttpRequest.newBuilder(node.adminUri("/admin/sales?id=" + id
                + "&stock=10&queue=auto&pow=0")).header("X-Admin-Token", ADMIN).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    /** This node's capacity to sell as its last report in Redis says; 0 without one. */
    private double reported() {
        return node.app().cluster().reports().stream().mapToDouble(NodeReport::sellCapacity).sum();
    }

    @Test
    void auto_is_refused_until_a_node_measured_its_capacity_then_admits_half_of_it() throws Exception {
        HttpCall.Answer refused = create("QA1");
        assertEquals(409, refused.status(), refused::toString);
        assertEquals("not_measured", refused.json().get("error").getAsString(), refused::toString);
        assertEquals(200, HttpCall.get(node.uri("/sales")).status());

        for (int i = 0; i < 20; i++) {
            HttpCall.Answer bought = HttpCall.send("POST", node.uri("/buy/ticket?user=u" + i));
            assertEquals(1, bought.code(), bought::toString);
        }
        // the node measures each half second and publishes it: wait until Redis has what it measured
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the node's capacity published", () -> reported() > 0
                && reported() == Math.round(node.app().stats().sellCapacity() * 1000) / 1000.0);
        double capacity = reported();
        HttpCall.Answer created = create("QA2");
        assertEquals(201, created.status(), created::toString);
        assertEquals((long) Math.floor(capacity / 2), created.json().getAsJsonObject("data").get("admitPerSecond")
                .getAsLong(), () -> "half of the measured " + capacity + " tickets a second: " + created);
    }
}
