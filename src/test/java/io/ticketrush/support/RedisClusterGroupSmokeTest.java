package io.ticketrush.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * {@link RedisClusterGroup} against real nodes: three masters serve every slot, a write a replica
 * acknowledged survives the kill -9 of its master, the promoted replica refuses writes until the
 * killed node is back as its replica, and then takes them.
 */
class RedisClusterGroupSmokeTest {
    private static final String TAG = "{G1}";

    @Test
    void a_write_a_replica_acknowledged_survives_the_kill_of_its_master() {
        try (RedisClusterGroup group = RedisClusterGroup.start(3)) {
            try {
                failover(group);
            } catch (AssertionError | RuntimeException e) {
                System.out.println("the cluster's logs\n" + group.logs());
                throw e;
            }
        }
    }

    private static void failover(RedisClusterGroup group) {
        System.out.printf("redis cluster group: %s%n", group.startTimes());
        assertEquals(3, group.masterPorts().size(), "masters: " + group.masterPorts());
        try (Jedis any = group.connect(group.ports().get(0))) {
            String info = any.clusterInfo();
            assertEquals("3", field(info, "cluster_size"), info);
            assertEquals("16384", field(info, "cluster_slots_assigned"), info);
            assertEquals("16384", field(info, "cluster_slots_ok"), info);
        }
        Set<HostAndPort> seeds = Arrays.stream(group.seeds().split(",")).map(HostAndPort::from)
                .collect(Collectors.toSet());
        try (JedisCluster cluster = new JedisCluster(seeds, DefaultJedisClientConfig.builder()
                .password(group.users().adminPassword())
                .connectionTimeoutMillis(500).socketTimeoutMillis(1000).build(), 5, Duration.ofSeconds(5))) {
            // WAIT counts the writes of its own connection: the write and its WAIT share one
            try (Connection connection = cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(TAG + "a"))) {
                Jedis jedis = new Jedis(connection);
                jedis.set(TAG + "a", "before the failover");
                assertEquals(1, jedis.waitReplicas(1, 1000), "replicas that acknowledged the write");
            }
            int master = group.masterOf(TAG);
            int replica = group.replicaOf(master);

            long killed = System.nanoTime();
            group.kill9(master);
            Deadline.await(Duration.ofSeconds(15), "replica " + replica + " to take over " + TAG + " from " + master,
                    () -> group.masterOf(TAG) == replica);
            long promoted = System.nanoTime();
            // min-replicas-to-write 1: a master without a replica takes no write
            Deadline.await(Duration.ofSeconds(5), "the promoted master to refuse a write for want of a replica", () -> {
                try {
                    cluster.set(TAG + "b", "while alone");
                } catch (JedisDataException e) {
                    return e.getMessage().startsWith("NOREPLICAS");
                }
                throw new AssertionError("master " + replica + " took a write with no replica");
            });

            long restarted = System.nanoTime();
            group.restart(master);
            Deadline.await(Duration.ofSeconds(15), "a write on " + TAG + " after " + master + " came back", () -> {
                cluster.set(TAG + "b", "after the failover");
                return true;
            });
            long writable = System.nanoTime();
            assertEquals("before the failover", cluster.get(TAG + "a"));
            assertEquals("after the failover", cluster.get(TAG + "b"));
            group.awaitHealthy(Duration.ofSeconds(30));
            assertEquals(replica, group.masterOf(TAG));
            assertEquals(master, group.replicaOf(replica), "the killed master rejoined as its successor's replica");
            assertNotEquals(master, replica);
            System.out.printf("redis cluster group: kill -9 of master %d; replica %d its master %d ms later;"
                    + " %d started again, a write on %s taken %d ms after it was%n", master, replica,
                    (promoted - killed) / 1_000_000, master, TAG, (writable - restarted) / 1_000_000);
        }
    }

    private static String field(String info, String name) {
        return info.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).trim())
                .findFirst().orElse("");
    }
}
