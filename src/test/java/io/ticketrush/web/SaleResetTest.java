package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.Payments;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A sale reset ({@code ./rush sale reset}, {@code /admin/sales/reset}) while orders of its old
 * round are pending and unpaid: their deadlines pass, every node sweeps, and not one of them
 * expires into the new round. Its ticket must not come back into the new round's stock (which
 * never sold it), so the new round sells exactly its stock. Node A resets the sale; node B, which
 * reads the sales once a minute only, still knows the old round when it sells the new one.
 */
class SaleResetTest {
    private static final String TOKEN = "sale-reset-test-token";
    private static final String SALE = "R1";
    private static final int STOCK = 5;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private EmbeddedNode a;
    private EmbeddedNode b;
    private final Keys keys = Keys.of(SALE, "ticket_hash_key");

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        a = node("a", "1000");
        b = node("b", "60000");
    }

    private EmbeddedNode node(String name, String syncMillis) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.node.weight", "1",
                "rush.node.weights.total", "2", "rush.statlog", dir.resolve(name + "-stat.log").toString(),
                "rush.admin.token", TOKEN, "rush.sync.ms", syncMillis, "rush.sweep.ms", "100",
                "rush.admin.audit", dir.resolve(name + "-admin-audit.log").toString())));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.putAll(Payments.SETTINGS);
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
        redis.close();
    }

    private static HttpCall.Answer admin(EmbeddedNode node, String action) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(node.adminUri("/admin/" + action)).header("X-Admin-Token", TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> response = HttpCall.newClient().send(request, HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    private static JsonObject buy(EmbeddedNode node, String user) {
        HttpCall.Answer answer = HttpCall.send("POST", node.uri("/buy/ticket?sale=" + SALE + "&user=" + user));
        assertEquals(200, answer.status(), answer::toString);
        return answer.json();
    }

    /** A new ticket for {@code user}: its order id and deadline. */
    private static JsonObject ticket(EmbeddedNode node, String user) {
        JsonObject answer = buy(node, user);
        assertEquals(1, answer.get("code").getAsInt(), answer::toString);
        JsonObject data = answer.getAsJsonObject("data");
        assertFalse(data.get("existing").getAsBoolean(), answer::toString);
        return data;
    }

    @Test
    void an_old_rounds_pending_orders_never_expire_into_the_sale_after_a_reset() throws Exception {
        long payWithin = (TimeScale.ms(2000) + 999) / 1000;
        HttpCall.Answer created = admin(a, "sales?id=" + SALE + "&stock=" + STOCK + "&pay-within=" + payWithin + "&buyers=open");
        assertEquals(201, created.status(), created::toString);

        // the old round: three tickets, never paid
        List<String> old = new ArrayList<>();
        long lastOldDeadline = 0;
        for (int i = 0; i < 3; i++) {
            JsonObject order = ticket(i % 2 == 0 ? a : b, "old" + i);
            old.add(order.get("orderId").getAsString());
            lastOldDeadline = Math.max(lastOldDeadline, order.get("deadline").getAsLong());
        }
        assertEquals(3, redis.sold(keys.stock()));

        HttpCall.Answer reset = admin(a, "sales/reset?id=" + SALE + "&stock=" + STOCK);
        assertEquals(200, reset.status(), reset::toString);
        assertEquals(3, reset.json().getAsJsonObject("data").get("ordersDropped").getAsLong(), reset::toString);
        assertEquals(0, redis.sold(keys.stock()), "the new round starts with nothing sold");

        // the new round: four tickets paid at once, on A and on B (which still knows the old round)
        Set<String> paid = new TreeSet<>();
        for (int i = 0; i < 4; i++) {
            EmbeddedNode node = i % 2 == 0 ? b : a;
            String id = ticket(node, "new" + i).get("orderId").getAsString();
            HttpCall.Answer started = HttpCall.send("POST", node.uri("/pay?order=" + id + "&user=new" + i));
            assertEquals(202, started.status(), started::toString);
            HttpCall.Answer payment = HttpCall.send("POST", node.uri("/demo-pay/pay?payment="
                    + started.json().getAsJsonObject("data").get("paymentId").getAsString()));
            assertEquals(200, payment.status(), payment::toString);
            assertEquals("paid", payment.json().getAsJsonObject("data").getAsJsonObject("order").get("state")
                    .getAsString(), payment::toString);
            paid.add(id);
        }
        // one more, left unpaid: due after every order of the old round, so a sweep that expires it
        // has passed each of their deadlines too (the sweeps take orders by deadline)
        JsonObject probe = ticket(a, "probe");
        String probeId = probe.get("orderId").getAsString();
        assertTrue(probe.get("deadline").getAsLong() > lastOldDeadline, "the probe is due after the old round");
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)).plusSeconds(payWithin), "the probe order to expire",
                () -> "expired".equals(HttpCall.get(a.uri("/order?id=" + probeId)).json().getAsJsonObject("data")
                        .get("state").getAsString()));

        assertEquals(4, redis.sold(keys.stock()), "four paid; the probe's ticket back; none of the old round's");
        Set<String> ofNewRound = new TreeSet<>(paid);
        ofNewRound.add(probeId);
        try (Jedis jedis = redis.client()) {
            assertEquals("4", jedis.hget(keys.stock(), Keys.PAID));
            assertEquals("1", jedis.hget(keys.stock(), Keys.EXPIRED), "only the probe expired in the new round");
            assertEquals(ofNewRound, new TreeSet<>(jedis.hkeys(keys.orders())), "the new round's orders, only");
            assertEquals(0, jedis.zcard(keys.pending()), "nothing pending");
            Map<String, Integer> events = new TreeMap<>();
            for (StreamEntry event : jedis.xrange(keys.orderStream(), (StreamEntryID) null, null)) {
                String id = event.getFields().get(Keys.ID);
                assertTrue(ofNewRound.contains(id), () -> "an event of " + id + " in the new round: " + event);
                events.merge(event.getFields().get(Keys.EVENT), 1, Integer::sum);
            }
            assertEquals(Map.of("created", 5, "paid", 4, "expired", 1), events);
        }
        for (String id : old) {
            for (EmbeddedNode node : new EmbeddedNode[] {a, b}) {
                assertEquals(404, HttpCall.get(node.uri("/order?id=" + id)).status(), "old order " + id);
                HttpCall.Answer late = HttpCall.send("POST", node.uri("/pay?order=" + id));
                assertEquals(404, late.status(), () -> "paying old order " + id + ": " + late);
            }
        }

        // what is left is the stock less the four paid: one ticket, then sold out, on either node
        Map<Integer, Integer> last = new HashMap<>();
        for (int i = 0; i < 4; i++) {
            last.merge(buy(i % 2 == 0 ? a : b, "last" + i).get("code").getAsInt(), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 1, -1, 3), last, "one ticket left, then sold out");
        assertEquals(STOCK, redis.sold(keys.stock()));
    }
}
