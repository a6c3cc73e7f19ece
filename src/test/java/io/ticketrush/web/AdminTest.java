package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Admin lives on the node's own loopback connector ({@code rush.admin.port}): on the public port
 * {@code /admin/*} is the 404 of an unknown path, token or not; on the admin connector it needs
 * the token, and every request there is one line of the audit log, without the token.
 */
class AdminTest {
    private static final String TOKEN = "s3cret-admin-token-for-tests";
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;
    private Path audit;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 2);
        dir = Files.createTempDirectory("rush-admin-");
        audit = dir.resolve("logs/admin-audit.log");
    }

    private void startNode(boolean admin) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                "rush.stock.total", "2", "rush.node.weight", "10", "rush.stock.buffer", "0",
                "rush.statlog", dir.resolve("stat.log").toString(), "rush.admin.token", TOKEN,
                "rush.admin.audit", audit.toString())));
        if (admin) {
            settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
        }
        node = EmbeddedNode.start(settings);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop();
        }
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private static HttpCall.Answer send(String method, URI uri, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("X-Admin-Token", token);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(),
                response.headers().firstValue("Content-Type").orElse(""));
    }

    private void sellOut() {
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code());
    }

    private List<JsonObject> auditLines() throws Exception {
        if (!Files.exists(audit)) {
            return List.of();
        }
        return Files.readAllLines(audit).stream().map(line -> JsonParser.parseString(line).getAsJsonObject()).toList();
    }

    @Test
    void on_the_public_port_admin_is_an_unknown_path_even_with_the_token() throws Exception {
        startNode(true);
        sellOut();
        HttpCall.Answer unknown = send("POST", node.uri("/no/such/path"), null);
        for (String method : List.of("POST", "GET", "PUT")) {
            for (String path : List.of("/admin/reset-local", "/admin/sales?id=G1&stock=5", "/admin/refresh", "/admin/")) {
                HttpCall.Answer answer = send(method, node.uri(path), TOKEN);
                assertEquals(404, answer.status(), method + " " + path + " -> " + answer);
                assertTrue(answer.contentType().startsWith("application/json"), answer::contentType);
                assertEquals(unknown.body().replace("/no/such/path", path.replaceAll("\\?.*", "")), answer.body(),
                        "the same answer as a path that does not exist");
            }
        }
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code(), "nothing was reset: still sold out");
        assertEquals(List.of(), auditLines(), "nothing reached admin, nothing to audit");
    }

    @Test
    void on_the_admin_connector_only_the_token_resets_and_every_request_is_audited_once() throws Exception {
        startNode(true);
        sellOut();
        assertEquals(403, send("POST", node.adminUri("/admin/reset-local"), null).status());
        assertEquals(403, send("POST", node.adminUri("/admin/reset-local"), "wrong-token-wrong-token").status());
        assertEquals(405, send("GET", node.adminUri("/admin/reset-local"), TOKEN).status());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code(), "still sold out");

        redis.initStock("ticket_hash_key", 2);
        HttpCall.Answer reset = send("POST", node.adminUri("/admin/reset-local?sale=default"), TOKEN);
        assertEquals(200, reset.status(), reset::toString);
        sellOut();
        assertEquals(2, redis.sold("ticket_hash_key"));

        List<JsonObject> lines = auditLines();
        assertEquals(4, lines.size(), "one line per admin request: " + lines);
        assertEquals(List.of(403, 403, 405, 200), lines.stream().map(l -> l.get("status").getAsInt()).toList());
        assertEquals(List.of("forbidden", "forbidden", "method_not_allowed"),
                lines.subList(0, 3).stream().map(l -> l.get("error").getAsString()).toList());
        for (JsonObject line : lines) {
            assertEquals("/reset-local", line.get("action").getAsString(), line::toString);
            assertEquals("127.0.0.1", line.get("remote").getAsString(), line::toString);
            assertFalse(line.get("time").getAsString().isEmpty());
        }
        assertEquals("default", lines.get(3).getAsJsonObject("params").get("sale").getAsString());
        String file = Files.readString(audit);
        assertFalse(file.contains(TOKEN) || file.contains("wrong-token"), "the audit log holds no token: " + file);
    }

    @Test
    void a_secret_looking_parameter_is_never_written_to_the_audit_log() throws Exception {
        startNode(true);
        HttpCall.Answer refresh = send("POST", node.adminUri("/admin/refresh?token=" + TOKEN + "&password=hunter2"),
                TOKEN);
        assertEquals(200, refresh.status(), refresh::toString);
        List<JsonObject> lines = auditLines();
        assertEquals(1, lines.size());
        assertEquals("(hidden)", lines.get(0).getAsJsonObject("params").get("token").getAsString());
        assertEquals("(hidden)", lines.get(0).getAsJsonObject("params").get("password").getAsString());
        String file = Files.readString(audit);
        assertFalse(file.contains(TOKEN) || file.contains("hunter2"), file);
    }

    @Test
    void without_an_admin_port_there_is_no_admin_at_all() throws Exception {
        startNode(false);
        sellOut();
        HttpCall.Answer answer = send("POST", node.uri("/admin/reset-local"), TOKEN);
        assertEquals(404, answer.status(), answer::toString);
        assertEquals("not_found", answer.json().get("error").getAsString());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code(), "still sold out");
        assertEquals(List.of(), auditLines());
    }
}
