package io.ticketrush.redis.connect;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.ticketrush.Config;
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
    private RedisPools() {
    }

    /** A pool for one Redis or the Sentinels' primary (the tests of the calls' failures). */
    static Pool<Jedis> open(Config config) {
        return open(config, config.redisTimeoutMillis());
    }

    /** The connections a node's calls take: reads wait up to {@code rush.redis.timeout.ms}. */
    public static RedisConnections connections(Config config) {
        return connections(config, config.redisTimeoutMillis());
    }

    /**
     * Connections to {@code config}'s Redis whose reads wait up to {@code socketTimeoutMillis}: a
     * pool for one Redis or the Sentinels' primary, a pool per node for a Redis Cluster (its slots
     * asked from the first seed node that answers).
     */
    public static RedisConnections connections(Config config, int socketTimeoutMillis) {
        if (config.replication().mode() != Config.Replication.Mode.CLUSTER) {
            return RedisConnections.of(open(config, socketTimeoutMillis));
        }
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        shape(poolConfig, config);
        Set<HostAndPort> seeds = new LinkedHashSet<>();
        config.replication().clusterNodes().forEach(address -> seeds.add(HostAndPort.from(address)));
        return RedisConnections.of(new ClusterConnectionProvider(seeds, client(config, socketTimeoutMillis),
                poolConfig));
    }

    private static void shape(GenericObjectPoolConfig<?> poolConfig, Config config) {
        poolConfig.setMaxTotal(config.redisPoolSize());
        poolConfig.setMaxIdle(config.redisPoolSize());
        poolConfig.setMinIdle(0);
        poolConfig.setBlockWhenExhausted(true);
        poolConfig.setMaxWait(Duration.ofMillis(config.redisPoolWaitMillis()));
        poolConfig.setTestOnBorrow(false);
        poolConfig.setJmxEnabled(false);
    }

    /**
     * One connection of its own to {@code config}'s Redis (the primary, as a Sentinel names it
     * now), whose reads wait up to {@code socketTimeoutMillis}.
     */
    public static Jedis connect(Config config, int socketTimeoutMillis) {
        HostAndPort address = sentinel(config) ? primary(config) : new HostAndPort(config.redisHost(),
                config.redisPort());
        return new Jedis(address, client(config, socketTimeoutMillis));
    }

    private static boolean sentinel(Config config) {
        return config.replication().mode() == Config.Replication.Mode.SENTINEL;
    }

    private static DefaultJedisClientConfig client(Config config, int socketTimeoutMillis) {
        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(config.redisTimeoutMillis())
                .socketTimeoutMillis(socketTimeoutMillis)
                .clientName("ticket-rush");
        if (config.redisPassword() != null) {
            client.password(config.redisPassword());
        }
        return client.build();
    }

    /** A pool for {@code config}'s Redis (the primary) whose socket reads wait up to {@code socketTimeoutMillis}. */
    private static Pool<Jedis> open(Config config, int socketTimeoutMillis) {
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        shape(poolConfig, config);
        if (sentinel(config)) {
            // asks the Sentinels for the primary now: a node cannot start while none of them answers
            return new JedisSentinelPool(config.replication().master(), sentinels(config), poolConfig,
                    client(config, socketTimeoutMillis), sentinelClient(config));
        }
        return new JedisPool(poolConfig, new HostAndPort(config.redisHost(), config.redisPort()),
                client(config, socketTimeoutMillis));
    }

    /** The Sentinels are asked without the data's password (they have none of their own here). */
    private static DefaultJedisClientConfig sentinelClient(Config config) {
        return DefaultJedisClientConfig.builder().connectionTimeoutMillis(config.redisTimeoutMillis())
                .socketTimeoutMillis(config.redisTimeoutMillis()).clientName("ticket-rush").build();
    }

    private static Set<HostAndPort> sentinels(Config config) {
        Set<HostAndPort> sentinels = new LinkedHashSet<>();
        config.replication().sentinels().forEach(address -> sentinels.add(HostAndPort.from(address)));
        return sentinels;
    }

    /** The primary as the first Sentinel that answers names it. */
    private static HostAndPort primary(Config config) {
        JedisException last = null;
        for (HostAndPort address : sentinels(config)) {
            try (Jedis sentinel = new Jedis(address, sentinelClient(config))) {
                List<String> primary = sentinel.sentinelGetMasterAddrByName(config.replication().master());
                if (primary != null && primary.size() == 2) {
                    return new HostAndPort(primary.get(0), Integer.parseInt(primary.get(1)));
                }
            } catch (JedisException e) {
                last = e;
            }
        }
        throw new JedisConnectionException("no Sentinel of " + config.replication().sentinels() + " named the primary "
                + config.replication().master(), last);
    }
}
