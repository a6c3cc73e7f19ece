package io.ticketrush.redis.connect;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;
import redis.clients.jedis.util.Pool;
import redis.clients.jedis.util.SafeEncoder;

/**
 * Where a call's connection comes from. One Redis, or the primary the Sentinels name: a pool of
 * connections to it, whatever the keys. A Redis Cluster: the pool of the master that serves the
 * slot of the call's key ({@link #borrow(String)}); a call's keys all carry one sale's hash tag,
 * so one connection serves every command of it, and a {@code WAIT} after its writes asks that
 * master's replica. Reads over many sales go through a pipeline that sends each command to its
 * slot's master ({@link #pipeline()}).
 */
public abstract class RedisConnections implements AutoCloseable {

    /** A connection to the Redis that holds {@code key}; closing it gives it back. */
    public abstract Jedis borrow(String key);

    /** The server that holds {@code key} now (the same one for every key with one Redis). */
    abstract Object serverOf(String key);

    /** {@code keys} grouped by the server that holds each now, in their order (one group with one Redis). */
    public Collection<List<String>> byServer(Collection<String> keys) {
        Map<Object, List<String>> groups = new LinkedHashMap<>();
        keys.forEach(key -> groups.computeIfAbsent(serverOf(key), server -> new ArrayList<>()).add(key));
        return groups.values();
    }

    /** A connection to each master (one with one Redis): for work every shard must do. */
    abstract List<Jedis> masters();

    /** A pipeline whose commands each go where their key is; the caller syncs and closes it. */
    abstract AbstractPipeline pipeline();

    /** After a broken connection: the idle ones are dropped (in a cluster, the slots are asked for again). */
    abstract void clear();

    /** Redis answered that a key lives elsewhere (MOVED) or that the node is no master now (READONLY). */
    abstract void moved();

    /**
     * After a call failed: a broken connection drops the idle ones (they very likely broke with
     * it: a restarted Redis) and, in a cluster, renews the slot map, as do MOVED, READONLY and
     * CLUSTERDOWN (a failover moved the slots). Every user of these connections calls it, or it
     * keeps asking a server that no longer serves its keys.
     */
    public void afterFailure(JedisException e) {
        if (e instanceof JedisConnectionException) {
            clear();
        } else if (e instanceof JedisMovedDataException || e.getMessage() != null
                && (e.getMessage().startsWith("READONLY") || e.getMessage().startsWith("CLUSTERDOWN"))) {
            moved();
        }
    }

    /** Whether keys of different sales may live on different servers. */
    public abstract boolean cluster();

    /** Pooled connections not in use. */
    abstract int idle();

    @Override
    public abstract void close();

    static RedisConnections of(Pool<Jedis> pool) {
        return new Pooled(pool);
    }

    static RedisConnections of(ClusterConnectionProvider provider) {
        return new Cluster(provider);
    }

    /** One server: every key is there. */
    private static final class Pooled extends RedisConnections {
        private final Pool<Jedis> pool;

        Pooled(Pool<Jedis> pool) {
            this.pool = pool;
        }

        @Override
        public Jedis borrow(String key) {
            return pool.getResource();
        }

        @Override
        Object serverOf(String key) {
            return this;
        }

        @Override
        List<Jedis> masters() {
            return List.of(pool.getResource());
        }

        @Override
        AbstractPipeline pipeline() {
            Jedis jedis = pool.getResource();
            return new redis.clients.jedis.Pipeline(jedis) {
                @Override
                public void close() {
                    try {
                        super.close();
                    } finally {
                        jedis.close();
                    }
                }
            };
        }

        @Override
        void clear() {
            pool.clear();
        }

        @Override
        void moved() {
            // one server holds every key
        }

        @Override
        public boolean cluster() {
            return false;
        }

        @Override
        int idle() {
            return pool.getNumIdle();
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    /** A Redis Cluster, through Jedis's own slot map and per-node pools. */
    private static final class Cluster extends RedisConnections {
        private final ClusterConnectionProvider provider;

        Cluster(ClusterConnectionProvider provider) {
            this.provider = provider;
        }

        @Override
        public Jedis borrow(String key) {
            return new Jedis(provider.getConnectionFromSlot(JedisClusterCRC16.getSlot(key)));
        }

        @Override
        Object serverOf(String key) {
            Object server = provider.getNode(JedisClusterCRC16.getSlot(key));
            return server != null ? server : key; // a slot nobody serves now: a group of its own
        }

        @Override
        List<Jedis> masters() {
            List<Jedis> masters = new ArrayList<>();
            try {
                for (Map.Entry<String, ConnectionPool> node : provider.getNodes().entrySet()) {
                    Connection connection;
                    try {
                        connection = node.getValue().getResource();
                    } catch (JedisException down) {
                        continue; // a dead node is no master of anything now
                    }
                    if (isMaster(connection)) {
                        masters.add(new Jedis(connection));
                    } else {
                        connection.close();
                    }
                }
            } catch (RuntimeException e) {
                masters.forEach(Jedis::close);
                throw e;
            }
            return masters;
        }

        private static boolean isMaster(Connection connection) {
            try {
                Object role = ((List<?>) connection.executeCommand(new CommandArguments(Protocol.Command.ROLE)))
                        .get(0);
                return "master".equals(SafeEncoder.encode((byte[]) role));
            } catch (JedisException e) {
                return false;
            }
        }

        @Override
        AbstractPipeline pipeline() {
            return new ClusterPipeline(provider);
        }

        @Override
        void clear() {
            provider.getNodes().values().forEach(Pool::clear);
            moved();
        }

        @Override
        void moved() {
            try {
                provider.renewSlotCache();
            } catch (JedisException e) {
                // no node answered: the next call finds out again
            }
        }

        @Override
        public boolean cluster() {
            return true;
        }

        @Override
        int idle() {
            return provider.getNodes().values().stream().mapToInt(Pool::getNumIdle).sum();
        }

        @Override
        public void close() {
            provider.close();
        }
    }
}
