package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class WriterSettingsTest {

    private static WriterSettings from(Map<String, String> values) {
        return WriterSettings.from(values::get);
    }

    @Test
    void defaults_are_an_h2_file_and_a_name_of_the_process() {
        WriterSettings writer = from(Map.of());
        assertEquals(RedisSettings.from(name -> null), writer.redis());
        assertEquals("ticket_hash_key", writer.stockKey());
        assertEquals(new DatabaseSettings("jdbc:h2:file:./run/orders/orders", "sa", ""), writer.database());
        assertEquals("writer-" + ProcessHandle.current().pid(), writer.name());
        assertEquals(500, writer.batch());
        assertEquals(5000, writer.claimMillis());
    }

    @Test
    void postgresql_has_no_default_user() {
        DatabaseSettings database = from(Map.of("rush.db.url", "jdbc:postgresql://db/orders")).database();
        assertNull(database.user());
        assertEquals("orders", from(Map.of("rush.db.url", "jdbc:postgresql://db/orders", "rush.db.user", "orders"))
                .database().user());
    }

    @Test
    void every_bad_value_is_named_with_its_rule_at_once() {
        String message = assertThrows(InvalidSettingsException.class, () -> from(Map.of("rush.db.url", "mysql://x",
                "rush.writer.name", "writer 1", "rush.writer.batch", "100001", "rush.writer.claim.ms", "soon",
                "rush.redis.timeout.ms", "x"))).getMessage();
        assertTrue(message.contains("rush.db.url=mysql://x must be a jdbc:h2: or jdbc:postgresql: URL"), message);
        assertTrue(message.contains("rush.writer.name=writer 1 may hold only letters, digits and _ . @ -"), message);
        assertTrue(message.contains("rush.writer.batch=100001 must be between 1 and 100000"), message);
        assertTrue(message.contains("rush.writer.claim.ms=soon is not a whole number"), message);
        assertTrue(message.contains("rush.redis.timeout.ms=x is not a whole number"), message);
    }

    @Test
    void the_writer_ignores_the_settings_of_nodes_and_of_the_breaker() {
        WriterSettings writer = from(Map.of("rush.node.weight", "heavy", "rush.node.weights.total", "0",
                "rush.stock.total", "-1", "rush.lock.wait.ms", "0", "rush.admin.token", "short",
                "rush.anonymous", "maybe", "rush.breaker.failures", "0", "rush.user.limit", "0",
                "rush.clock.skew.ms", "soon"));
        assertEquals(from(Map.of()), writer);
    }
}
