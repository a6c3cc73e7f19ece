package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin reset needs the token; with it, a node starts a new sale without a restart. */
class AdminTest {
    private static final String TOKEN = "s3cret-admin-token-for-tests";
    private RedisServer redis;
    private EmbeddedNode node;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start();
        redis.initStock("ticket_hash_key", 2);
        dir = Files.createTempDirectory("rush-admin-");
        node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.total", "2",
                "rush.node.weight", "10", "rush.stock.buffer", "0", "rush.statlog", dir.resolve("stat.log").toString(),
                "rush.admin.token", TOKEN)));
    }

    @AfterEach
    void stop() {
        node.stop();
        redis.close();
        TempFiles.deleteRecursively(dir);
    }

    private HttpCall.Answer reset(String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(node.uri("/admin/reset-local"))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("X-Admin-Token", token);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(),
                HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    @Test
    void without_the_right_token_nothing_is_reset() throws Exception {
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(403, reset(null).status());
        assertEquals(403, reset("wrong-token-wrong-token").status());
        assertEquals(405, HttpCall.get(node.uri("/admin/reset-local")).status());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code(), "still sold out");
    }

    @Test
    void with_the_token_a_new_sale_starts_without_restarting_the_node() throws Exception {
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code());
        redis.initStock("ticket_hash_key", 2);
        HttpCall.Answer reset = reset(TOKEN);
        assertEquals(200, reset.status(), reset.toString());
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(-1, HttpCall.get(node.uri("/buy/ticket")).code());
        assertEquals(2, redis.sold("ticket_hash_key"));
    }
}
