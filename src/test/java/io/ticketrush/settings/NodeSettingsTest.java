package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.OptionalInt;

import io.ticketrush.sale.Sale;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

    private static NodeSettings from(Map<String, String> values) {
        return NodeSettings.from(values::get);
    }

    private static String problems(Map<String, String> values) {
        return assertThrows(InvalidSettingsException.class, () -> from(values)).getMessage();
    }

    private static Sale sale(String id, long total) {
        return new Sale(id, id, total, 0, 0, 1, 300_000, 0);
    }

    @Test
    void defaults_match_the_article() {
        NodeSettings node = from(Map.of());
        assertEquals(StoreSettings.from(name -> null), node.store());
        assertEquals(10_000, node.totalStock());
        assertEquals(1, node.nodeWeight());
        assertEquals(10, node.totalWeight());
        assertEquals(OptionalInt.empty(), node.stockBuffer());
        assertEquals(OptionalInt.empty(), node.stockLocal());
        assertEquals(0, node.nodePort());
        assertEquals("logs/stat.log", node.statLogPath());
        assertEquals(1000, node.lockWaitMillis());
        assertTrue(node.anonymousAllowed());
        assertEquals(1000, node.syncMillis());
        assertEquals(1000, node.sweepMillis());
        assertNull(node.adminToken());
    }

    @Test
    void local_stock_is_the_weight_share_plus_the_buffer() {
        NodeSettings node = from(Map.of("rush.node.weight", "4", "rush.node.weights.total", "10",
                "rush.stock.buffer", "250"));
        assertEquals(4250, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(650, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void the_default_buffer_is_a_twentieth_of_the_sales_total() {
        NodeSettings node = from(Map.of("rush.node.weight", "2"));
        assertEquals(2500, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(250, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void an_explicit_local_stock_is_the_articles_sales_alone() {
        NodeSettings node = from(Map.of("rush.stock.local", "7"));
        assertEquals(7, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(150, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void every_bad_value_is_named_with_its_rule_at_once() {
        String message = problems(Map.ofEntries(Map.entry("rush.stock.total", "-5"),
                Map.entry("rush.stock.buffer", "lots"), Map.entry("rush.stock.local", "-1"),
                Map.entry("rush.node.port", "65536"), Map.entry("rush.lock.wait.ms", "0"),
                Map.entry("rush.anonymous", "maybe"), Map.entry("rush.sync.ms", "9"),
                Map.entry("rush.sweep.ms", "3600001"), Map.entry("rush.admin.token", "short"),
                Map.entry("rush.node.weights.total", "0"), Map.entry("rush.user.limit", "0"),
                Map.entry("rush.redis.mode", "shards")));
        assertTrue(message.contains("rush.stock.total=-5 must be between 0 and 2147483647"), message);
        assertTrue(message.contains("rush.stock.buffer=lots is not a whole number"), message);
        assertTrue(message.contains("rush.stock.local=-1 must be between 0 and 2147483647"), message);
        assertTrue(message.contains("rush.node.port=65536 must be between 0 and 65535"), message);
        assertTrue(message.contains("rush.lock.wait.ms=0 must be between 1 and 60000"), message);
        assertTrue(message.contains("rush.anonymous=maybe must be true or false"), message);
        assertTrue(message.contains("rush.sync.ms=9 must be between 10 and 3600000"), message);
        assertTrue(message.contains("rush.sweep.ms=3600001 must be between 10 and 3600000"), message);
        assertTrue(message.contains("rush.admin.token must be at least 16 characters long"), message);
        assertTrue(message.contains("rush.node.weights.total=0 must be between 1 and 100000"), message);
        assertTrue(message.contains("rush.user.limit=0 must be between 1 and 1000"), message);
        assertTrue(message.contains("rush.redis.mode=shards must be single, sentinel or cluster"), message);
    }

    @Test
    void a_weight_above_the_total_weight_is_refused() {
        assertTrue(problems(Map.of("rush.node.weight", "11", "rush.node.weights.total", "10"))
                .contains("rush.node.weight=11 must not exceed rush.node.weights.total=10"));
    }

    @Test
    void a_flag_takes_yes_no_on_off_and_digits() {
        assertFalse(from(Map.of("rush.anonymous", "off")).anonymousAllowed());
        assertFalse(from(Map.of("rush.anonymous", "NO")).anonymousAllowed());
        assertTrue(from(Map.of("rush.anonymous", "1")).anonymousAllowed());
    }

    @Test
    void a_node_ignores_the_writers_settings_and_the_test_hook() {
        NodeSettings node = from(Map.of("rush.db.url", "mysql://orders", "rush.db.user", "", "rush.writer.name", "a b",
                "rush.writer.batch", "0", "rush.writer.claim.ms", "never", "rush.clock.skew.ms", "soon"));
        assertEquals(from(Map.of()), node);
    }
}
