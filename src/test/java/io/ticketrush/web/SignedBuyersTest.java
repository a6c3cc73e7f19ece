package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.order.PaymentSignature;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.RedisSnapshot;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Sales with signed buyers through one real node (issue 18): every buy, order, orders and pay
 * request carries a bearer token and the buyer is its subject; a missing, expired, forged,
 * unsigned or unknown-key token is a 401 and changes nothing in Redis; another user's order does
 * not exist for you (404 by id, absent from lists, 404 on pay). Open sales stay the article's.
 */
class SignedBuyersTest {
    private static final String KEY = "ticket_hash_key";
    private static final String ADMIN = "signed-buyers-admin-token";
    private static final String SIGNED = "S1";
    private static final String OPEN = "O1";

    private RedisServer redis;
    private Path dir;
    private Path keysFile;
    private OctetSequenceKey k1;
    private OctetSequenceKey k2;
    private PublicOrderIds ids;
    private final List<EmbeddedNode> nodes = new ArrayList<>();
    private EmbeddedNode node;
    private final HttpClient http = HttpClient.newHttpClient();

    /** One answer: status, JSON body, and the WWW-Authenticate header (null when none). */
    private record Answer(int status, JsonObject json, String challenge) {
        String error() {
            return json.has("error") ? json.get("error").getAsString() : null;
        }

        JsonObject data() {
            return json.getAsJsonObject("data");
        }
    }

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock(KEY, 10);
        dir = Files.createTempDirectory("rush-signed-");
        k1 = TestTokens.secret("k1");
        k2 = TestTokens.secret("k2");
        keysFile = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(k1, k2));
        byte[] orderKey = new byte[32];
        new SecureRandom().nextBytes(orderKey);
        Path orderKeyFile = Files.writeString(dir.resolve("order-key"), Base64.getEncoder().encodeToString(orderKey));
        ids = PublicOrderIds.fromFile(orderKeyFile);
        node = startNode(Map.of("rush.auth.keys.file", keysFile.toString(), "rush.order.key.file",
                orderKeyFile.toString(), "rush.auth.login", "true"));
        Answer signed = send("POST", "/admin/sales?id=" + SIGNED + "&stock=5", null, ADMIN);
        assertEquals(201, signed.status(), signed::toString);
        Answer open = send("POST", "/admin/sales?id=" + OPEN + "&stock=5&buyers=open", null, ADMIN);
        assertEquals(201, open.status(), open::toString);
    }

    private EmbeddedNode startNode(Map<String, String> extra) {
        // as the nodes' ACL user; admin on a loopback connector of its own; payments and the demo provider on
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.stock.total", "10", "rush.node.weight", "10", "rush.statlog",
                dir.resolve("stat-" + nodes.size() + ".log").toString(), "rush.admin.token", ADMIN,
                "rush.lock.wait.ms", "5000", "rush.redis.timeout.ms", "2000")));
        settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        settings.put("rush.admin.audit", dir.resolve("admin-audit-" + nodes.size() + ".log").toString());
        settings.putAll(Payments.SETTINGS);
        settings.putAll(extra);
        EmbeddedNode started = EmbeddedNode.start(settings);
        nodes.add(started);
        return started;
    }

    @AfterEach
    void stop() {
        nodes.forEach(EmbeddedNode::stop);
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private Answer send(String method, String path, String token) {
        return send(node, method, path, token, null);
    }

    private Answer send(String method, String path, String token, String adminToken) {
        return send(node, method, path, token, adminToken);
    }

    /** With {@code adminToken}: on the node's admin connector, the only one that serves {@code /admin/}. */
    private Answer send(EmbeddedNode to, String method, String path, String token, String adminToken) {
        HttpRequest.Builder request = HttpRequest.newBuilder(adminToken == null ? to.uri(path) : to.adminUri(path))
                .timeout(Duration.ofSeconds(15))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (adminToken != null) {
            request.header("X-Admin-Token", adminToken);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JsonParser.parseString(response.body()).getAsJsonObject(),
                    response.headers().firstValue("WWW-Authenticate").orElse(null));
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Everything Redis holds of a sale that a request could change: its stock hash, its orders, its events. */
    private Map<String, Object> redisOf(String sale) {
        Keys keys = Keys.of(sale, KEY);
        try (Jedis jedis = redis.client()) {
            Map<String, Object> state = new LinkedHashMap<>();
            state.put("stock", jedis.hgetAll(keys.stock()));
            state.put("orders", jedis.hgetAll(keys.orders()));
            state.put("holders", jedis.hgetAll(keys.holders()));
            state.put("events", jedis.xlen(keys.orderStream()));
            return state;
        }
    }

    private String redisOrder(String sale, String orderId, String field) {
        try (Jedis jedis = redis.client()) {
            Map<String, String> order = RedisOrders.one(jedis, Keys.of(sale, KEY), orderId);
            return order == null ? null : order.get(field);
        }
    }

    private String buySigned(String token) {
        Answer bought = send("POST", "/buy/ticket?sale=" + SIGNED, token);
        assertEquals(200, bought.status(), bought::toString);
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        return bought.data().get("orderId").getAsString();
    }

    private static List<String> orderIds(Answer list) {
        List<String> found = new ArrayList<>();
        for (JsonElement order : list.data().getAsJsonArray("orders")) {
            found.add(order.getAsJsonObject().get("orderId").getAsString());
        }
        return found;
    }

    @Test
    void a_new_sale_is_signed_unless_told_open_and_the_default_sale_stays_open() {
        JsonArray sales = send("GET", "/sales", null).data().getAsJsonArray("sales");
        Map<String, String> buyers = new HashMap<>();
        sales.forEach(s -> buyers.put(s.getAsJsonObject().get("id").getAsString(),
                s.getAsJsonObject().get("buyers").getAsString()));
        assertEquals(Map.of("default", "open", SIGNED, "signed", OPEN, "open"), buyers);
        try (Jedis jedis = redis.client()) {
            assertEquals("signed", jedis.hget(Keys.of(SIGNED, KEY).stock(), Keys.BUYERS));
            assertEquals("open", jedis.hget(Keys.of(OPEN, KEY).stock(), Keys.BUYERS));
            assertNull(jedis.hget(KEY, Keys.BUYERS), "the default sale, a bare HMSET, has no buyers field: open");
        }
    }

    @Test
    void a_signed_sale_refuses_a_missing_expired_forged_unsigned_or_unknown_key_token_and_changes_nothing() {
        Map<String, Object> before = redisOf(SIGNED);
        Answer none = send("POST", "/buy/ticket?sale=" + SIGNED + "&user=alice", null);
        assertEquals(401, none.status(), none::toString);
        assertEquals("unauthorized", none.error());
        assertEquals(0, none.json().get("code").getAsInt());
        assertEquals("Bearer", none.challenge(), "no token sent: a challenge without an error");
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("expired", TestTokens.hs256(k1, TestTokens.claims("alice", Instant.now().minusSeconds(120))));
        bad.put("forged", TestTokens.hs256(TestTokens.secret("k1"), "alice"));
        bad.put("alg none", TestTokens.algNone("k1", "alice"));
        bad.put("unknown kid", TestTokens.hs256(TestTokens.secret("k9"), "alice"));
        bad.put("not a JWT", "alice");
        for (Map.Entry<String, String> token : bad.entrySet()) {
            for (String path : List.of("/buy/ticket?sale=" + SIGNED, "/orders?user=alice", "/orders",
                    "/order?id=" + ids.toPublic("1"))) {
                Answer refused = send(path.startsWith("/buy") ? "POST" : "GET", path, token.getValue());
                assertEquals(401, refused.status(), () -> token.getKey() + " " + path + ": " + refused);
                assertEquals("unauthorized", refused.error(), token.getKey());
                assertEquals("Bearer error=\"invalid_token\"", refused.challenge(), token.getKey());
            }
        }
        assertEquals(before, redisOf(SIGNED), "nothing sold, no order, no event");
        assertEquals(0, redis.sold(Keys.of(SIGNED, KEY).stock()));
    }

    @Test
    void a_token_buys_as_its_subject_with_a_public_order_id_and_a_user_that_disagrees_is_forbidden() {
        String alice = TestTokens.hs256(k1, "alice");
        Map<String, Object> before = redisOf(SIGNED);
        Answer other = send("POST", "/buy/ticket?sale=" + SIGNED + "&user=bob", alice);
        assertEquals(403, other.status(), other::toString);
        assertEquals("forbidden", other.error());
        assertEquals(before, redisOf(SIGNED), "a refused buy changed nothing");

        String orderId = buySigned(alice);
        assertTrue(PublicOrderIds.looksPublic(orderId), orderId);
        String internal = ids.toInternal(orderId).orElseThrow();
        assertEquals("alice", redisOrder(SIGNED, internal, Keys.USER), "the order is the token's user's");
        Answer again = send("POST", "/buy/ticket?sale=" + SIGNED + "&user=alice", alice);
        assertEquals(orderId, again.data().get("orderId").getAsString(), "a user= that agrees: the same order");
        assertTrue(again.data().get("existing").getAsBoolean());
        assertEquals(1, redis.sold(Keys.of(SIGNED, KEY).stock()));
    }

    @Test
    void another_users_order_is_a_404_by_id_missing_from_lists_and_a_404_on_pay_and_nothing_changes() {
        String alice = TestTokens.hs256(k1, "alice");
        String bob = TestTokens.hs256(k2, "bob");
        String orderId = buySigned(alice);
        String internal = ids.toInternal(orderId).orElseThrow();
        Map<String, Object> before = redisOf(SIGNED);

        Answer byId = send("GET", "/order?id=" + orderId, bob);
        assertEquals(404, byId.status(), byId::toString);
        assertEquals("unknown_order", byId.error());
        Answer unknown = send("GET", "/order?id=" + ids.toPublic(internal.substring(0, internal.length() - 1) + "9"),
                bob);
        assertEquals(byId.json().keySet(), unknown.json().keySet(), "another's order reads as one there is not");
        assertEquals(404, unknown.status());
        assertEquals(List.of(), orderIds(send("GET", "/orders", bob)), "not in bob's list");
        assertEquals(403, send("GET", "/orders?user=alice", bob).status(), "bob may not ask for alice's list");
        Answer pay = send("POST", "/pay?order=" + orderId, bob);
        assertEquals(404, pay.status(), pay::toString);
        assertEquals("unknown_order", pay.error());
        assertEquals(404, send("POST", "/pay?order=" + orderId + "&user=bob", bob).status());
        // the internal number never finds a signed sale's order, not even for its buyer
        assertEquals(404, send("GET", "/order?id=" + internal, alice).status());
        assertEquals(404, send("POST", "/pay?order=" + internal, alice).status());
        assertEquals(404, send("POST", "/pay?order=" + internal + "&user=alice", null).status());
        // without a token: a public id is a 401 whatever it names; lists show open sales only
        Answer anonymous = send("GET", "/order?id=" + orderId, null);
        assertEquals(401, anonymous.status(), anonymous::toString);
        assertEquals(401, send("POST", "/pay?order=" + orderId, null).status());
        assertEquals(List.of(), orderIds(send("GET", "/orders?user=alice", null)), "no token: alice's signed order unlisted");
        assertEquals(401, send("GET", "/orders?user=alice&sale=" + SIGNED, null).status());
        assertEquals(before, redisOf(SIGNED), "nothing changed: the order still pending, no event");
        assertEquals("pending", redisOrder(SIGNED, internal, Keys.STATE));

        Answer mine = send("GET", "/order?id=" + orderId, alice);
        assertEquals(200, mine.status(), mine::toString);
        assertEquals(orderId, mine.data().get("orderId").getAsString());
        assertEquals(List.of(orderId), orderIds(send("GET", "/orders", alice)));
        assertEquals(List.of(orderId), orderIds(send("GET", "/orders?user=alice&sale=" + SIGNED, alice)));
        Answer started = send("POST", "/pay?order=" + orderId, alice);
        assertEquals(202, started.status(), started::toString);
        assertEquals(orderId, started.data().get("orderId").getAsString());
        Answer paid = send("POST", "/demo-pay/pay?payment=" + started.data().get("paymentId").getAsString(), null);
        assertEquals(200, paid.status(), paid::toString);
        assertEquals(orderId, paid.data().get("orderId").getAsString());
        assertEquals("paid", redisOrder(SIGNED, internal, Keys.STATE));
    }

    /** Every key and value Redis holds. */
    private Map<String, String> redisAll() {
        try (Jedis jedis = redis.client()) {
            return RedisSnapshot.of(jedis);
        }
    }

    /**
     * {@code POST /pay/callback} as the payment provider sends it: the event, its signature, and
     * {@code authorization} as the header of that name (null: none).
     */
    private Answer callback(String event, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.uri("/pay/callback")).timeout(Duration.ofSeconds(15))
                .header("Content-Type", "application/json")
                .header(PaymentSignature.HEADER, Payments.sign(System.currentTimeMillis() / 1000, event))
                .POST(HttpRequest.BodyPublishers.ofString(event));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), JsonParser.parseString(response.body()).getAsJsonObject(), null);
        } catch (IOException e) {
            throw new AssertionError("POST /pay/callback failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** {@code POST /pay} with {@code token}: the payment started (202), its id. */
    private String startPayment(String orderId, String token) {
        Answer started = send("POST", "/pay?order=" + orderId, token);
        assertEquals(202, started.status(), started::toString);
        assertEquals(orderId, started.data().get("orderId").getAsString(), "the order as the buyer knows it");
        return started.data().get("paymentId").getAsString();
    }

    @Test
    void a_signed_buyer_pays_through_the_provider_and_every_answer_names_the_order_by_its_public_id() {
        String alice = TestTokens.hs256(k1, "alice");
        String orderId = buySigned(alice);
        String internal = ids.toInternal(orderId).orElseThrow();
        Map<String, String> before = redisAll();
        Answer stranger = send("POST", "/pay?order=" + orderId, TestTokens.hs256(k2, "bob"));
        assertEquals(404, stranger.status(), stranger::toString);
        assertEquals("unknown_order", stranger.error());
        Answer nobody = send("POST", "/pay?order=" + orderId, null);
        assertEquals(401, nobody.status(), nobody::toString);
        assertEquals(before, redisAll(), "no payment started for a stranger's token or for no token");

        Answer started = send("POST", "/pay?order=" + orderId, alice);
        assertEquals(202, started.status(), started::toString);
        assertEquals(orderId, started.data().get("orderId").getAsString());
        String payment = started.data().get("paymentId").getAsString();
        assertEquals("/demo-pay/checkout?payment=" + payment, started.data().get("payUrl").getAsString());
        Answer again = send("POST", "/pay?order=" + orderId, alice);
        assertEquals(payment, again.data().get("paymentId").getAsString(), "asking again: the same payment");
        assertEquals(orderId, again.data().get("orderId").getAsString());
        Answer shown = send("GET", "/demo-pay/payment?payment=" + payment, null);
        assertEquals(orderId, shown.data().get("orderId").getAsString(), "the checkout shows the order as /pay did");
        assertEquals("pending", redisOrder(SIGNED, internal, Keys.STATE), "started is not paid");

        // the provider's Pay: its signed event reaches /pay/callback with no token, and pays
        Answer paid = send("POST", "/demo-pay/pay?payment=" + payment, null);
        assertEquals(200, paid.status(), paid::toString);
        assertEquals("paid", paid.json().get("msg").getAsString(), paid::toString);
        assertEquals(orderId, paid.data().get("orderId").getAsString());
        assertEquals(orderId, paid.data().getAsJsonObject("order").get("orderId").getAsString());
        assertEquals("paid", redisOrder(SIGNED, internal, Keys.STATE));
        for (Answer answer : List.of(stranger, started, again, shown, paid)) {
            assertTrue(!answer.json().toString().contains(internal), () -> "an answer names the order's number: "
                    + answer);
        }
        Answer twice = send("POST", "/pay?order=" + orderId, alice);
        assertEquals(409, twice.status(), twice::toString);
        assertEquals("already_paid", twice.error());
    }

    @Test
    void the_payment_callback_needs_no_token_and_takes_the_order_by_its_public_id_or_its_number() {
        String alice = TestTokens.hs256(k1, "alice");
        String bob = TestTokens.hs256(k1, "bob");
        String alicesOrder = buySigned(alice);
        String bobsOrder = buySigned(bob);
        String alicesPayment = startPayment(alicesOrder, alice);
        String bobsPayment = startPayment(bobsOrder, bob);

        Answer byPublicId = callback(Payments.event(Payments.eventId(), alicesPayment, alicesOrder, 1000), null);
        assertEquals(200, byPublicId.status(), byPublicId::toString);
        assertEquals("paid", byPublicId.json().get("msg").getAsString(), byPublicId::toString);
        assertEquals(alicesOrder, byPublicId.data().get("orderId").getAsString());
        assertEquals("paid", redisOrder(SIGNED, ids.toInternal(alicesOrder).orElseThrow(), Keys.STATE));

        // by its number, and with a token that names nobody: the callback reads no token
        String bobsNumber = ids.toInternal(bobsOrder).orElseThrow();
        Answer byNumber = callback(Payments.event(Payments.eventId(), bobsPayment, bobsNumber, 1000), "Bearer junk");
        assertEquals(200, byNumber.status(), byNumber::toString);
        assertEquals("paid", byNumber.json().get("msg").getAsString(), byNumber::toString);
        assertEquals(bobsOrder, byNumber.data().get("orderId").getAsString(), "answered by its public id");
        assertEquals("paid", redisOrder(SIGNED, bobsNumber, Keys.STATE));

        // another order's public id, or one no order key of ours made: refused, nothing changes
        String carol = TestTokens.hs256(k1, "carol");
        String carolsPayment = startPayment(buySigned(carol), carol);
        Map<String, String> before = redisAll();
        for (String order : List.of(alicesOrder, "AAAAAAAAAAAAAAAAAAAAAA")) {
            Answer mismatch = callback(Payments.event(Payments.eventId(), carolsPayment, order, 1000), null);
            assertEquals(400, mismatch.status(), () -> order + ": " + mismatch);
            assertEquals("payment_mismatch", mismatch.error(), order);
        }
        assertEquals(before, redisAll(), "a refused event changed nothing");
        try (Jedis jedis = redis.client()) {
            assertEquals("2", jedis.hget(Keys.of(SIGNED, KEY).stock(), Keys.PAID), "alice's and bob's, once each");
        }
    }

    @Test
    void a_signed_hot_sale_guards_the_orders_of_its_buckets_as_its_own() {
        Answer created = send("POST", "/admin/sales?id=H1&stock=4&buckets=2", null, ADMIN);
        assertEquals(201, created.status(), created::toString);
        assertEquals("signed", created.data().get("buyers").getAsString());
        assertEquals(401, send("POST", "/buy/ticket?sale=H1&user=alice", null).status());
        String alice = TestTokens.hs256(k1, "alice");
        Answer bought = send("POST", "/buy/ticket?sale=H1", alice);
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        String orderId = bought.data().get("orderId").getAsString();
        assertTrue(PublicOrderIds.looksPublic(orderId), orderId);
        Answer mine = send("GET", "/order?id=" + orderId, alice);
        assertEquals(200, mine.status(), mine::toString);
        assertTrue(mine.data().get("sale").getAsString().startsWith("H1--"), mine::toString);
        assertEquals(404, send("GET", "/order?id=" + orderId, TestTokens.hs256(k1, "bob")).status());
        String bucket = mine.data().get("sale").getAsString();
        assertEquals(404, send("GET", "/order?id=" + ids.toInternal(orderId).orElseThrow(), null).status(),
                "the bucket's order is not found by its number: the bucket's buyers are signed too");
        try (Jedis jedis = redis.client()) {
            assertEquals("signed", jedis.hget(Keys.of(bucket, KEY).stock(), Keys.BUYERS));
        }
    }

    @Test
    void two_keys_verify_at_once_and_a_key_added_while_the_node_runs_is_taken_up() {
        String byOlder = buySigned(TestTokens.hs256(k1, "alice"));
        String byNewer = buySigned(TestTokens.hs256(k2, "bob"));
        assertEquals("alice", redisOrder(SIGNED, ids.toInternal(byOlder).orElseThrow(), Keys.USER));
        assertEquals("bob", redisOrder(SIGNED, ids.toInternal(byNewer).orElseThrow(), Keys.USER));
        OctetSequenceKey k3 = TestTokens.secret("k3");
        String carol = TestTokens.hs256(k3, "carol");
        assertEquals(401, send("POST", "/buy/ticket?sale=" + SIGNED, carol).status(), "k3 is not there yet");
        TestTokens.write(keysFile, List.of(k2, k3)); // a rotation: k1 retired, k3 added
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the node to take up key k3",
                () -> send("POST", "/buy/ticket?sale=" + SIGNED, carol).status() == 200);
        Answer retired = send("POST", "/buy/ticket?sale=" + SIGNED, TestTokens.hs256(k1, "dave"));
        assertEquals(401, retired.status(), "k1 retired: " + retired);
        assertEquals(3, redis.sold(Keys.of(SIGNED, KEY).stock()));
    }

    @Test
    void in_an_open_sale_a_token_names_the_buyer_and_without_one_user_works_as_in_the_article() {
        Answer carol = send("POST", "/buy/ticket?sale=" + OPEN + "&user=carol", null);
        assertEquals(1, carol.json().get("code").getAsInt(), carol::toString);
        String carolsOrder = carol.data().get("orderId").getAsString();
        assertTrue(carolsOrder.matches("[0-9]{18,19}"), "an open sale's order id is its number: " + carolsOrder);
        assertEquals(200, send("GET", "/order?id=" + carolsOrder, null).status(), "found by its id, as in the article");
        assertEquals(200, send("GET", "/order?id=" + ids.toPublic(carolsOrder), null).status(), "and by its public id");

        String dave = TestTokens.hs256(k1, "dave");
        Map<String, Object> before = redisOf(OPEN);
        Answer disagree = send("POST", "/buy/ticket?sale=" + OPEN + "&user=carol", dave);
        assertEquals(403, disagree.status(), disagree::toString);
        Answer forged = send("POST", "/buy/ticket?sale=" + OPEN + "&user=dave", TestTokens.hs256(TestTokens.secret("k1"),
                "dave"));
        assertEquals(401, forged.status(), "a token sent is verified, also in an open sale: " + forged);
        assertEquals(before, redisOf(OPEN));
        Answer bought = send("POST", "/buy/ticket?sale=" + OPEN, dave);
        assertEquals(1, bought.json().get("code").getAsInt(), bought::toString);
        assertEquals("dave", redisOrder(OPEN, bought.data().get("orderId").getAsString(), Keys.USER));
        assertEquals(2, redis.sold(Keys.of(OPEN, KEY).stock()));
    }

    @Test
    void the_demo_login_gives_a_token_that_buys_and_is_a_404_unless_turned_on() {
        Answer login = send("POST", "/login?user=erin", null);
        assertEquals(200, login.status(), login::toString);
        assertEquals("erin", login.data().get("user").getAsString());
        assertTrue(login.data().get("expiresAt").getAsLong() > System.currentTimeMillis() + 3_500_000L);
        String orderId = buySigned(login.data().get("token").getAsString());
        assertEquals("erin", redisOrder(SIGNED, ids.toInternal(orderId).orElseThrow(), Keys.USER));
        assertEquals(400, send("POST", "/login?user=not%20valid", null).status());

        EmbeddedNode off = startNode(Map.of("rush.auth.keys.file", keysFile.toString()));
        for (String method : List.of("POST", "GET")) {
            Answer absent = send(off, method, "/login?user=erin", null, null);
            assertEquals(404, absent.status(), method + ": " + absent);
            assertEquals("not_found", absent.error());
            Answer nothing = send(off, method, "/no-such-path", null, null);
            assertEquals(nothing.json().toString().replace("/no-such-path", "/login"), absent.json().toString(),
                    "the login turned off answers as a path there is not (as the demo provider turned off does)");
        }
    }
}
