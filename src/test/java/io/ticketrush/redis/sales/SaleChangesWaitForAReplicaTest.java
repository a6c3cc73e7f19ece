package io.ticketrush.redis.sales;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisSentinelGroup;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Creating, closing and resetting a sale with replicas: each change is answered only once a
 * replica has it, as a buy is (docs/replication.md), so a failover cannot undo a close or hand an
 * order id base out twice. With both replicas cut off (SIGSTOP) a change is a 503, not "done",
 * while the primary still takes writes (its replicas are within min-replicas-max-lag).
 */
class SaleChangesWaitForAReplicaTest {

    @Test
    void a_sale_is_created_closed_and_reset_only_once_a_replica_has_it() {
        try (RedisSentinelGroup group = RedisSentinelGroup.start()) {
            Map<String, String> settings = new LinkedHashMap<>(group.settings());
            settings.put("rush.breaker.failures", "1000");
            try (RedisStore store = RedisStore.open(StoreSettings.from(settings::get))) {
                SaleAdmin admin = store.admin();
                long now = store.catalog().now();
                Sale sale = admin.create(new Sale("W1", "train W1", 10, now - 1000, 0, 1, 60_000, 0));
                String stock = Keys.of(sale.id(), "x").stock();
                long waits = store.replicaWaitCounts().count();
                assertTrue(waits > 0, "the creation waited for a replica: " + waits + " waits");

                List<Integer> replicas = group.replicaPorts();
                replicas.forEach(group::pause);
                try {
                    StockUnavailableException closing = assertThrows(StockUnavailableException.class,
                            () -> admin.close(sale.id()), "a close no replica has is not answered as done");
                    assertTrue(closing.getMessage().startsWith("no replica"), closing.getMessage());
                    assertThrows(StockUnavailableException.class, () -> admin.reset(sale.id(), 5),
                            "a reset no replica has is not answered as done");
                    assertThrows(StockUnavailableException.class, () -> admin.create(new Sale("W2", "train W2", 10,
                            now - 1000, 0, 1, 60_000, 0)), "a creation no replica has is not answered as done");
                } finally {
                    replicas.forEach(group::resume);
                }
                group.awaitHealthy();
                // asked again once a replica answers: each change made, and on a replica
                admin.close(sale.id());
                assertEquals(0, admin.reset(sale.id(), 5), "orders dropped");
                List<String> totals = replicas.stream().map(port -> {
                    try (Jedis replica = group.client(port)) {
                        return replica.hget(stock, Keys.TOTAL);
                    }
                }).toList();
                assertTrue(totals.contains("5"), "the reset's total on a replica when it was answered: " + totals);
            }
        }
    }
}
