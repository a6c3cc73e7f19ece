package io.ticketrush;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigTest {

    private static Config from(Map<String, String> values) {
        return Config.from(values::get);
    }

    @Test
    void defaults_match_the_article() {
        Config config = from(Map.of());
        assertEquals("127.0.0.1", config.redisHost());
        assertEquals(6379, config.redisPort());
        assertNull(config.redisPassword());
        assertEquals("ticket_hash_key", config.stockKey());
        assertEquals(10_000, config.totalStock());
        assertEquals(1, config.nodeWeight());
        assertEquals(10, config.totalWeight());
        assertEquals("logs/stat.log", config.statLogPath());
    }

    @Test
    void local_stock_is_the_weight_share_plus_the_buffer() {
        Config config = from(Map.of("rush.stock.total", "10000", "rush.node.weight", "4",
                "rush.node.weights.total", "10", "rush.stock.buffer", "250"));
        assertEquals(4000, config.weightShare());
        assertEquals(4250, config.localStock());
    }

    @Test
    void the_default_buffer_is_a_twentieth_of_the_total() {
        Config config = from(Map.of("rush.stock.total", "10000", "rush.node.weight", "2"));
        assertEquals(500, config.bufferStock());
        assertEquals(2500, config.localStock());
    }

    @Test
    void an_explicit_local_stock_wins() {
        assertEquals(7, from(Map.of("rush.stock.local", "7")).localStock());
    }

    @Test
    void a_bad_number_is_named_with_its_rule() {
        var e = assertThrows(Config.InvalidConfigException.class, () -> from(Map.of("rush.redis.port", "six")));
        assertTrue(e.getMessage().contains("rush.redis.port=six is not a whole number"), e.getMessage());
    }

    @Test
    void out_of_range_values_are_all_reported_at_once() {
        var e = assertThrows(Config.InvalidConfigException.class,
                () -> from(Map.of("rush.redis.port", "70000", "rush.stock.total", "-5")));
        assertTrue(e.getMessage().contains("rush.redis.port=70000 must be between 1 and 65535"), e.getMessage());
        assertTrue(e.getMessage().contains("rush.stock.total=-5 must be between 0"), e.getMessage());
    }

    @Test
    void a_weight_above_the_total_weight_is_refused() {
        var e = assertThrows(Config.InvalidConfigException.class,
                () -> from(Map.of("rush.node.weight", "11", "rush.node.weights.total", "10")));
        assertTrue(e.getMessage().contains("rush.node.weight=11 must not exceed rush.node.weights.total=10"),
                e.getMessage());
    }

    @Test
    void redis_is_one_server_unless_sentinel_mode_is_asked_for() {
        Config single = from(Map.of());
        assertEquals(Config.Replication.Mode.SINGLE, single.replication().mode());
        assertEquals(0, single.replication().replicasToWait());
        assertEquals("127.0.0.1:6379", single.redisAddress());
        Config sentinel = from(Map.of("rush.redis.mode", "sentinel", "rush.redis.sentinels", "10.0.0.1:26379, a:1"));
        assertEquals(Config.Replication.Mode.SENTINEL, sentinel.replication().mode());
        assertEquals(List.of("10.0.0.1:26379", "a:1"), sentinel.replication().sentinels());
        assertEquals("ticket-rush", sentinel.replication().master());
        assertEquals(1, sentinel.replication().replicasToWait());
        assertEquals(200, sentinel.replication().waitMillis());
        assertEquals(List.of("127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"),
                from(Map.of("rush.redis.mode", "sentinel")).replication().sentinels());
        Config cluster = from(Map.of("rush.redis.mode", "cluster", "rush.redis.cluster", "10.0.0.1:7001,10.0.0.2:7002"));
        assertEquals(Config.Replication.Mode.CLUSTER, cluster.replication().mode());
        assertEquals(List.of("10.0.0.1:7001", "10.0.0.2:7002"), cluster.replication().clusterNodes());
        assertEquals(1, cluster.replication().replicasToWait(), "each master's replica has a buy before it is told");
        assertEquals(0, from(Map.of()).replication().replicasToWait());
    }

    @Test
    void a_bad_mode_sentinel_address_or_wait_is_named_with_its_rule() {
        var e = assertThrows(Config.InvalidConfigException.class, () -> from(Map.of("rush.redis.mode", "shards",
                "rush.redis.sentinels", "host:26379,nohost,h:70000", "rush.redis.master", "a b",
                "rush.redis.cluster", "10.0.0.1:7001,seven")));
        assertTrue(e.getMessage().contains("rush.redis.mode=shards must be single, sentinel or cluster"),
                e.getMessage());
        assertTrue(e.getMessage().contains("rush.redis.cluster: 'seven' is not host:port"), e.getMessage());
        assertTrue(e.getMessage().contains("'nohost' is not host:port"), e.getMessage());
        assertTrue(e.getMessage().contains("'h:70000' is not host:port"), e.getMessage());
        assertTrue(e.getMessage().contains("rush.redis.master=a b may hold only"), e.getMessage());
        e = assertThrows(Config.InvalidConfigException.class, () -> from(Map.of("rush.redis.mode", "sentinel",
                "rush.redis.timeout.ms", "200")));
        assertTrue(e.getMessage().contains("rush.redis.wait.ms=200 must be below rush.redis.timeout.ms=200"),
                e.getMessage());
    }

    @Test
    void environment_names_are_upper_case_with_underscores() {
        assertEquals("RUSH_REDIS_TIMEOUT_MS", Config.envName("rush.redis.timeout.ms"));
    }
}
