package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.JsonObject;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Every admin endpoint ({@code /admin/sales}, {@code /admin/sales/close}, {@code /admin/sales/reset},
 * {@code /admin/refresh}, {@code /admin/reset-local}) refuses a request without the configured
 * token, or with any other, in JSON, and changes nothing: not Redis (every key but the nodes'
 * monitoring hash, byte for byte) and not the node (the sales it knows, its local stock). With
 * no token configured, admin is off and every endpoint refuses every request. Each change a
 * refused request would have made is then made with the token, so that the checks are seen to
 * catch it.
 *
 * <p>Node A and node B share one Redis; A reads the sales every minute only, so a sale created
 * through B is one A does not know until its {@code /admin/refresh}.
 */
class AdminAuthTest {
    private static final String TOKEN = "admin-auth-test-token-0123456789";
    /** Everything but the right header: none, empty, wrong, the token's prefix, the token and more, other case. */
    private static final List<String> WRONG_TOKENS = List.of("", "wrong-token", TOKEN.substring(0, TOKEN.length() - 1),
            TOKEN + "x", TOKEN.toUpperCase(), "x" + TOKEN);
    private static final String SALE = "A1";

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    private RedisServer redis;
    private EmbeddedNode a;
    private EmbeddedNode b;
    /** An order of the sale made through B that A does not know. */
    private String unknownToA;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 10);
        a = node("a", TOKEN);
        b = node("b", TOKEN);
        HttpCall.Answer created = admin(b, "sales", "id=" + SALE + "&stock=10&buyers=open", TOKEN);
        assertEquals(201, created.status(), created::toString);
        JsonObject bought = HttpCall.send("POST", b.uri("/buy/ticket?sale=" + SALE + "&user=bea")).json();
        assertEquals(1, bought.get("code").getAsInt(), bought::toString);
        unknownToA = bought.getAsJsonObject("data").get("orderId").getAsString();
        assertEquals(1, HttpCall.send("POST", a.uri("/buy/ticket?user=ann")).code(), "A sold a ticket of its own");
    }

    private EmbeddedNode node(String name, String token) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.admin.audit", dir.resolve(name + "-audit.log").toString(),
                "rush.stock.total", "10", "rush.node.weight", "1", "rush.node.weights.total", "2",
                "rush.statlog", dir.resolve(name + "-stat.log").toString(), "rush.sync.ms", "60000",
                "rush.sweep.ms", "60000")));
        if (token != null) {
            settings.put("rush.admin.token", token);
        }
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        return EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
        redis.close();
    }

    /** POST /admin/{action} with {@code form} as its body (as ./rush sends it) and {@code token} (null: no header). */
    private static HttpCall.Answer admin(EmbeddedNode node, String action, String form, String token)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.adminUri("/admin/" + action))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (token != null) {
            request.header("X-Admin-Token", token);
        }
        HttpResponse<String> response = HttpCall.newClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(),
                response.headers().firstValue("Content-Type").orElse(""));
    }

    /** What each admin endpoint is asked to do: one change each, if it were let through. */
    private static Map<String, String> actions() {
        Map<String, String> actions = new TreeMap<>();
        actions.put("sales", "id=A2&stock=5&closes=%2B60");
        actions.put("sales/close", "id=" + SALE);
        actions.put("sales/reset", "id=" + SALE + "&stock=3");
        actions.put("refresh", "");
        actions.put("reset-local", "");
        return actions;
    }

    @Test
    void every_admin_endpoint_refuses_a_missing_or_wrong_token_in_json_and_changes_nothing() throws Exception {
        Map<String, String> redisBefore = redisState();
        String nodeBefore = nodeState(a);
        assertTrue(nodeBefore.startsWith("order 404 "), () -> "A does not know " + SALE + " yet: " + nodeBefore);
        int refused = 0;
        for (Map.Entry<String, String> action : actions().entrySet()) {
            List<String> tokens = new ArrayList<>(WRONG_TOKENS);
            tokens.add(null);
            for (String token : tokens) {
                String what = "POST /admin/" + action.getKey() + " with " + (token == null ? "no token"
                        : "token '" + token + "'");
                HttpCall.Answer answer = admin(a, action.getKey(), action.getValue(), token);
                assertRefused(what, "forbidden", answer);
                // the token in the query string or the form is no token at all
                if (token == null) {
                    String body = action.getValue() + (action.getValue().isEmpty() ? "" : "&") + "X-Admin-Token="
                            + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8);
                    assertRefused(what + " but the token in the form", "forbidden",
                            admin(a, action.getKey(), body, null));
                    assertRefused(what + " but the token in the query", "forbidden",
                            admin(a, action.getKey() + "?X-Admin-Token=" + TOKEN, action.getValue(), null));
                    refused += 2;
                }
                refused++;
                assertRedisUnchanged(redisBefore, what);
                assertEquals(nodeBefore, nodeState(a), () -> what + " changed node A");
            }
        }
        assertEquals(5 * 9, refused);

        // each change the refused requests would have made, made with the token: the checks see it
        HttpCall.Answer refreshed = admin(a, "refresh", "", TOKEN);
        assertEquals(200, refreshed.status(), refreshed::toString);
        assertTrue(nodeState(a).startsWith("order 200 "), () -> "A knows " + SALE + " once refreshed: " + nodeState(a));
        String known = nodeState(a);
        assertEquals(200, admin(a, "reset-local", "", TOKEN).status());
        assertTrue(!known.equals(nodeState(a)), "a reset of A's local stock shows");
        for (Map.Entry<String, String> action : actions().entrySet()) {
            if (action.getKey().startsWith("sales")) {
                Map<String, String> before = redisState();
                HttpCall.Answer done = admin(a, action.getKey(), action.getValue(), TOKEN);
                assertTrue(done.status() / 100 == 2, () -> action + ": " + done);
                assertTrue(!before.equals(redisState()), () -> action + " with the token changes Redis");
            }
        }
    }

    @Test
    void with_no_token_configured_admin_is_off_and_every_endpoint_refuses_every_request() throws Exception {
        EmbeddedNode off = node("off", null);
        try {
            Map<String, String> redisBefore = redisState();
            String nodeBefore = nodeState(off);
            List<String> tokens = new ArrayList<>(WRONG_TOKENS);
            tokens.add(null);
            tokens.add(TOKEN); // the other nodes' token is no key here
            for (Map.Entry<String, String> action : actions().entrySet()) {
                for (String token : tokens) {
                    String what = "POST /admin/" + action.getKey() + " to a node without admin, with "
                            + (token == null ? "no token" : "token '" + token + "'");
                    assertRefused(what, "admin_disabled", admin(off, action.getKey(), action.getValue(), token));
                    assertRedisUnchanged(redisBefore, what);
                    assertEquals(nodeBefore, nodeState(off), () -> what + " changed the node");
                }
            }
        } finally {
            off.stop();
        }
    }

    private static void assertRefused(String what, String error, HttpCall.Answer answer) {
        assertEquals(403, answer.status(), () -> what + ": " + answer);
        assertTrue(answer.contentType().startsWith("application/json"), () -> what + ": JSON, not " + answer);
        JsonObject body = answer.json();
        assertEquals(error, body.get("error").getAsString(), () -> what + ": " + answer);
        assertEquals(0, body.get("code").getAsInt(), () -> what + ": " + answer);
    }

    /** Every key in Redis and its value, byte for byte, but the nodes' monitoring hash (rewritten twice a second). */
    private Map<String, String> redisState() {
        try (Jedis jedis = redis.client()) {
            Map<String, String> state = new TreeMap<>();
            for (String key : jedis.keys("*")) {
                if (!key.equals(Keys.nodeStats())) {
                    byte[] dump = jedis.dump(key);
                    state.put(key, dump == null ? "(gone)" : Base64.getEncoder().encodeToString(dump));
                }
            }
            return state;
        }
    }

    /** Fails naming the keys that differ if Redis is not as {@code before}. */
    private void assertRedisUnchanged(Map<String, String> before, String what) {
        Map<String, String> now = redisState();
        List<String> changed = new ArrayList<>();
        for (String key : before.keySet()) {
            if (!before.get(key).equals(now.get(key))) {
                changed.add(key);
            }
        }
        now.keySet().stream().filter(key -> !before.containsKey(key)).forEach(key -> changed.add(key + " (new)"));
        assertTrue(changed.isEmpty(), () -> what + " changed Redis: " + changed);
    }

    /**
     * What a node holds that an admin request could change: whether it knows the sale made
     * through B (its order found, or not), and its local stock of the article's sale.
     */
    private String nodeState(EmbeddedNode node) {
        HttpCall.Answer order = HttpCall.get(node.uri("/order?id=" + unknownToA));
        JsonObject local = HttpCall.get(node.uri("/stock")).json().getAsJsonObject("data").getAsJsonObject("local");
        return "order " + order.status() + " local " + local.get("quota") + "/" + local.get("sold") + "/"
                + local.get("remaining");
    }
}
