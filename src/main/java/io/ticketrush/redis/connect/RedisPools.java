package io.ticketrush.redis.connect;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.ticketrush.settings.RedisSettings;
import io.ticketrush.settings.Replication;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.JedisSentinelPool;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.util.Pool;

/**
 * The one place a Redis connection is made from the settings: bounded pool size, bounded wait,
 * short timeouts. With {@code rush.redis.mode=sentinel} the connections go to whichever server
 * the Sentinels name as the primary ({@link JedisSentinelPool} follows their
 * {@code +switch-master}); with {@code rush.redis.mode=cluster} to the master of each key's slot
 * ({@link ClusterConnectionProvider}); otherwise to {@code rush.redis.host}:{@code rush.redis.port}.
 */
public final class RedisPools {
    /** How ticket-rush's connections are named in Redis's {@code CLIENT LIST}. */
    private static final String CLIENT_NAME = "ticket-rush";

    private RedisPools() {
    }

    /** A pool for one Redis or the Sentinels' primary (the tests of the calls' failures). */
    static Pool<Jedis> open(RedisSettings redis) {
        return open(redis, redis.timeoutMillis(), redis.poolSize(), CLIENT_NAME);
    }

    /** The connections a node's calls take: reads wait up to {@code rush.redis.timeout.ms}. */
    public static RedisConnections connections(RedisSettings redis) {
        return connections(redis, redis.timeoutMillis());
    }

    /**
     * Connections to the Redis {@code redis} names whose reads wait up to {@code socketTimeoutMillis}: a
     * pool for one Redis or the Sentinels' primary, a pool per node for a Redis Cluster (its slots
     * asked from the first seed node that answers).
     */
    public static RedisConnections connections(RedisSettings redis, int socketTimeoutMillis) {
        return connections(redis, socketTimeoutMillis, redis.poolSize(), CLIENT_NAME);
    }

    /**
     * A pool of {@code poolSize} connections of their own (per server, in a cluster), named
     * {@code clientName} in Redis's {@code CLIENT LIST}, whose reads wait up to {@code rush.redis.timeout.ms}:
     * for calls that must never take, or wait for, the buyers' connections.
     */
    public static RedisConnections connections(RedisSettings redis, int poolSize, String clientName) {
        return connections(redis, redis.timeoutMillis(), poolSize, clientName);
    }

    private static RedisConnections connections(RedisSettings redis, int socketTimeoutMillis, int poolSize,
            String clientName) {
        if (redis.replication().mode() != Replication.Mode.CLUSTER) {
            return RedisConnections.of(open(redis, socketTimeoutMillis, poolSize, clientName));
        }
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        shape(poolConfig, redis, poolSize);
        Set<HostAndPort> seeds = new LinkedHashSet<>();
        redis.replication().clusterNodes().forEach(address -> seeds.add(HostAndPort.from(address)));
        return RedisConnections.of(new ClusterConnectionProvider(seeds, client(redis, socketTimeoutMillis,
                clientName), poolConfig));
    }

    private static void shape(GenericObjectPoolConfig<?> poolConfig, RedisSettings redis, int poolSize) {
        poolConfig.setMaxTotal(poolSize);
        poolConfig.setMaxIdle(poolSize);
        poolConfig.setMinIdle(0);
        poolConfig.setBlockWhenExhausted(true);
        poolConfig.setMaxWait(Duration.ofMillis(redis.poolWaitMillis()));
        poolConfig.setTestOnBorrow(false);
        poolConfig.setJmxEnabled(false);
    }

    /**
     * One connection of its own to the Redis {@code redis} names (the primary, as a Sentinel names it
     * now), whose reads wait up to {@code socketTimeoutMillis}.
     */
    public static Jedis connect(RedisSettings redis, int socketTimeoutMillis) {
        HostAndPort address = sentinel(redis) ? primary(redis) : new HostAndPort(redis.host(),
                redis.port());
        return new Jedis(address, client(redis, socketTimeoutMillis));
    }

    private static boolean sentinel(RedisSettings redis) {
        return redis.replication().mode() == Replication.Mode.SENTINEL;
    }

    private static DefaultJedisClientConfig client(RedisSettings redis, int socketTimeoutMillis) {
        return client(redis, socketTimeoutMillis, CLIENT_NAME);
    }

    private static DefaultJedisClientConfig client(RedisSettings redis, int socketTimeoutMillis, String clientName) {
        return credentials(DefaultJedisClientConfig.builder(), redis)
                .connectionTimeoutMillis(redis.timeoutMillis())
                .socketTimeoutMillis(socketTimeoutMillis)
                .clientName(clientName)
                .build();
    }

    /** The ACL user ({@code rush.redis.user}; Redis's default user without one) and its password, if any. */
    private static DefaultJedisClientConfig.Builder credentials(DefaultJedisClientConfig.Builder client,
            RedisSettings redis) {
        if (redis.password() != null) {
            client.user(redis.user()).password(redis.password());
        }
        return client;
    }

    /**
     * A pool of {@code poolSize} connections named {@code clientName} to the Redis {@code redis} names (the
     * primary) whose reads wait up to {@code socketTimeoutMillis}.
     */
    private static Pool<Jedis> open(RedisSettings redis, int socketTimeoutMillis, int poolSize, String clientName) {
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        shape(poolConfig, redis, poolSize);
        if (sentinel(redis)) {
            // asks the Sentinels for the primary now: a node cannot start while none of them answers
            return new JedisSentinelPool(redis.replication().master(), sentinels(redis), poolConfig,
                    client(redis, socketTimeoutMillis, clientName), sentinelClient(redis));
        }
        return new JedisPool(poolConfig, new HostAndPort(redis.host(), redis.port()),
                client(redis, socketTimeoutMillis, clientName));
    }

    /**
     * The Sentinels are asked with the same user and password as the servers: render.sh gives the
     * user on a Sentinel the primary's address and the failover announcements only.
     */
    private static DefaultJedisClientConfig sentinelClient(RedisSettings redis) {
        return credentials(DefaultJedisClientConfig.builder(), redis).connectionTimeoutMillis(redis.timeoutMillis())
                .socketTimeoutMillis(redis.timeoutMillis()).clientName("ticket-rush").build();
    }

    private static Set<HostAndPort> sentinels(RedisSettings redis) {
        Set<HostAndPort> sentinels = new LinkedHashSet<>();
        redis.replication().sentinels().forEach(address -> sentinels.add(HostAndPort.from(address)));
        return sentinels;
    }

    /** The primary as the first Sentinel that answers names it. */
    private static HostAndPort primary(RedisSettings redis) {
        JedisException last = null;
        for (HostAndPort address : sentinels(redis)) {
            try (Jedis sentinel = new Jedis(address, sentinelClient(redis))) {
                List<String> primary = sentinel.sentinelGetMasterAddrByName(redis.replication().master());
                if (primary != null && primary.size() == 2) {
                    return new HostAndPort(primary.get(0), Integer.parseInt(primary.get(1)));
                }
            } catch (JedisException e) {
                last = e;
            }
        }
        throw new JedisConnectionException("no Sentinel of " + redis.replication().sentinels() + " named the primary "
                + redis.replication().master(), last);
    }
}
