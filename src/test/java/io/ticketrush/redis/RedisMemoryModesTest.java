package io.ticketrush.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.RedisSentinelGroup;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * What a node reads of Redis's memory ({@link RedisStore#memoryUsed}, for /metrics and the
 * dashboard) with Sentinel and with a Cluster, as the nodes' ACL user (MEMORY STATS; no INFO):
 * Sentinel's primary, and a cluster's fullest master.
 */
class RedisMemoryModesTest {
    /** What each test writes: 8 MiB in one value (Redis allocates at least that for it). */
    private static final int WRITTEN = 8 * 1024 * 1024;

    private static long allocated(Jedis admin) {
        return (Long) admin.memoryStats().get("total.allocated");
    }

    @Test
    void with_sentinel_it_is_the_primarys_use_and_rises_by_what_was_written() {
        try (RedisSentinelGroup group = RedisSentinelGroup.start()) {
            Map<String, String> settings = new LinkedHashMap<>(group.settings());
            try (RedisStore store = RedisStore.open(StoreSettings.from(settings::get)); Jedis primary = group.primary()) {
                long before = store.memoryUsed();
                assertTrue(before > 0, "used: " + before);
                assertEquals("OK", primary.set("memory_modes_fill".getBytes(), new byte[WRITTEN]));
                long after = store.memoryUsed();
                assertTrue(after >= before + WRITTEN, "before " + before + ", after " + after + ", written " + WRITTEN);
            }
        }
    }

    @Test
    void in_a_cluster_it_is_the_fullest_masters_use() {
        try (RedisClusterGroup group = RedisClusterGroup.start(3)) {
            Map<String, String> settings = new LinkedHashMap<>(group.settings());
            try (RedisStore store = RedisStore.open(StoreSettings.from(settings::get))) {
                String key = "memory_modes_fill";
                int fullest = group.masterOf(key);
                List<Integer> masters = group.masterPorts();
                assertEquals(3, masters.size(), masters.toString());
                long before;
                try (Jedis admin = group.connect(fullest)) {
                    before = allocated(admin);
                    assertEquals("OK", admin.set(key.getBytes(), new byte[WRITTEN]));
                }
                long used = store.memoryUsed();
                // the master written to is the fullest now: what a node shows is at least its use
                assertTrue(used >= before + WRITTEN, "master " + fullest + " before " + before + ", read " + used
                        + ", written " + WRITTEN);
                for (int port : masters) {
                    try (Jedis admin = group.connect(port)) {
                        if (port != fullest) {
                            assertTrue(allocated(admin) + WRITTEN / 2 < used, "master " + port + " is not the fullest");
                        }
                    }
                }
            }
        }
    }
}
