package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class StoreSettingsTest {

    private static StoreSettings from(Map<String, String> values) {
        return StoreSettings.from(values::get);
    }

    @Test
    void defaults_are_the_articles_sale_behind_a_breaker() {
        StoreSettings store = from(Map.of());
        assertEquals("ticket_hash_key", store.stockKey());
        assertEquals(1, store.perUserLimit());
        assertEquals(300_000, store.orderTtlMillis());
        assertEquals(3, store.breakerFailures());
        assertEquals(500, store.breakerOpenMillis());
        assertEquals(from(Map.of()).redis(), RedisSettings.from(name -> null));
    }

    @Test
    void every_bad_value_is_named_with_its_rule_at_once() {
        String message = assertThrows(InvalidSettingsException.class, () -> from(Map.of("rush.breaker.failures", "0",
                "rush.breaker.open.ms", "soon", "rush.user.limit", "1001", "rush.order.ttl.ms", "99",
                "rush.redis.port", "0"))).getMessage();
        assertTrue(message.contains("rush.breaker.failures=0 must be between 1 and 1000"), message);
        assertTrue(message.contains("rush.breaker.open.ms=soon is not a whole number"), message);
        assertTrue(message.contains("rush.user.limit=1001 must be between 1 and 1000"), message);
        assertTrue(message.contains("rush.order.ttl.ms=99 must be between 100 and 2147483647"), message);
        assertTrue(message.contains("rush.redis.port=0 must be between 1 and 65535"), message);
    }

    @Test
    void the_sale_tool_ignores_the_settings_of_nodes_and_the_writer() {
        StoreSettings store = from(Map.of("rush.node.weight", "0", "rush.stock.total", "-1",
                "rush.admin.token", "short", "rush.db.url", "mysql://x", "rush.writer.name", "a b",
                "rush.clock.skew.ms", "soon"));
        assertEquals(from(Map.of()), store);
    }
}
