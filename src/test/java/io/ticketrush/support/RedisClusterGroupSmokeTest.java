package io.ticketrush.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * {@link RedisClusterGroup} against real nodes: three masters with two replicas each serve every
 * slot; a write a replica acknowledged survives the kill -9 of its master; while that master
 * fails over, another master takes every write (cluster-require-full-coverage no); the promoted
 * replica takes writes, acknowledged by a replica, with the killed node still down (the killed
 * master's other replica follows it); started again, the killed node rejoins as a replica.
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
        assertEquals(9, group.ports().size(), "nodes: " + group.ports());
        for (int master : group.masterPorts()) {
            assertEquals(2, group.replicasOf(master).size(), "replicas of " + master);
        }
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
            long acknowledged = writeAndWait(cluster, TAG + "a", "before the failover");
            assertTrue(acknowledged >= 1, "replicas that acknowledged the write: " + acknowledged);
            int master = group.masterOf(TAG);
            List<Integer> replicas = group.replicasOf(master);
            // a key on another master, written all through the failover
            String other = otherTag(group, master) + "other";

            long killed = System.nanoTime();
            group.kill9(master);
            int writes = 0;
            List<String> refused = new ArrayList<>();
            long deadline = killed + Duration.ofSeconds(15).toNanos();
            while (!promoted(group, replicas)) {
                assertTrue(System.nanoTime() < deadline, "a replica of " + master + " " + replicas + " to take over "
                        + TAG + " within 15 s");
                try {
                    cluster.set(other, String.valueOf(writes));
                } catch (JedisException e) {
                    refused.add(e.getMessage());
                }
                writes++;
            }
            long promoted = System.nanoTime();
            int successor = group.masterOf(TAG);
            // cluster-require-full-coverage no: the other masters never answer CLUSTERDOWN
            assertEquals(List.of(), refused.stream().limit(3).toList(), refused.size() + " of " + writes
                    + " writes to another master refused while " + master + " failed over");
            assertTrue(writes > 0, "writes to another master during the failover");

            // the killed node stays down: its other replica follows the successor, which takes writes
            Deadline.await(Duration.ofSeconds(15), "a write on " + TAG + ", acknowledged by a replica, with "
                    + master + " still down", () -> {
                        cluster.set(TAG + "b", "after the failover"); // follows the slot to its new master
                        return writeAndWait(cluster, TAG + "b", "after the failover") >= 1;
                    });
            long writable = System.nanoTime();
            List<Integer> others = new ArrayList<>(replicas);
            others.remove(Integer.valueOf(successor));
            // the write's acknowledgement says a replica follows; the nodes' views of who follows whom
            // come by gossip, a moment later
            Deadline.await(Duration.ofSeconds(15), "the killed master's other replica " + others + " to follow its"
                    + " successor " + successor, () -> group.replicasOf(successor).equals(others));
            assertEquals("before the failover", cluster.get(TAG + "a"));
            assertEquals("after the failover", cluster.get(TAG + "b"));

            long restarted = System.nanoTime();
            group.restart(master);
            group.awaitHealthy(Duration.ofSeconds(30));
            Deadline.await(Duration.ofSeconds(15), master + " to rejoin as a replica of " + successor,
                    () -> group.replicasOf(successor).contains(master));
            long rejoined = System.nanoTime();
            assertEquals(successor, group.masterOf(TAG));
            assertNotEquals(master, successor);
            System.out.printf("redis cluster group: kill -9 of master %d; replica %d its master %d ms later (%d writes"
                    + " to another master meanwhile, none refused), taking writes %d ms after that with %d still down;"
                    + " %d started again, a replica of %d %d ms later%n", master, successor,
                    (promoted - killed) / 1_000_000, writes, (writable - promoted) / 1_000_000, master, master,
                    successor, (rejoined - restarted) / 1_000_000);
        }
    }

    /** Writes {@code key} and answers how many replicas acknowledged it ({@code WAIT} on the same connection). */
    private static long writeAndWait(JedisCluster cluster, String key, String value) {
        // WAIT counts the writes of its own connection: the write and its WAIT share one
        try (Connection connection = cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(key))) {
            Jedis jedis = new Jedis(connection);
            jedis.set(key, value);
            return jedis.waitReplicas(1, 1000);
        }
    }

    private static boolean promoted(RedisClusterGroup group, List<Integer> replicas) {
        try {
            return replicas.contains(group.masterOf(TAG));
        } catch (IllegalStateException failingOver) {
            return false; // no master serves the slot yet
        }
    }

    /** A hash tag whose slot a master other than {@code master} serves. */
    private static String otherTag(RedisClusterGroup group, int master) {
        for (int n = 0; n < 1000; n++) {
            String tag = "{O" + n + "}";
            if (group.masterOf(tag) != master) {
                return tag;
            }
        }
        throw new IllegalStateException("no tag on another master than " + master);
    }

    private static String field(String info, String name) {
        return info.lines().filter(line -> line.startsWith(name + ":")).map(line -> line.substring(name.length() + 1).trim())
                .findFirst().orElse("");
    }
}
