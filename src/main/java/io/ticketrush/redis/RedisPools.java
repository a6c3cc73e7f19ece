package io.ticketrush.redis;

import java.time.Duration;

import io.ticketrush.Config;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

/** The one place a Redis connection pool is built from the settings: bounded size, bounded wait, short timeouts. */
final class RedisPools {
    private RedisPools() {
    }

    static JedisPool open(Config config) {
        return open(config, config.redisTimeoutMillis());
    }

    /** One connection of its own to {@code config}'s Redis, whose reads wait up to {@code socketTimeoutMillis}. */
    static Jedis connect(Config config, int socketTimeoutMillis) {
        return new Jedis(new HostAndPort(config.redisHost(), config.redisPort()), client(config, socketTimeoutMillis));
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

    /** A pool for {@code config}'s Redis whose socket reads wait up to {@code socketTimeoutMillis}. */
    static JedisPool open(Config config, int socketTimeoutMillis) {
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        poolConfig.setMaxTotal(config.redisPoolSize());
        poolConfig.setMaxIdle(config.redisPoolSize());
        poolConfig.setMinIdle(0);
        poolConfig.setBlockWhenExhausted(true);
        poolConfig.setMaxWait(Duration.ofMillis(config.redisPoolWaitMillis()));
        poolConfig.setTestOnBorrow(false);
        poolConfig.setJmxEnabled(false);
        return new JedisPool(poolConfig, new HostAndPort(config.redisHost(), config.redisPort()),
                client(config, socketTimeoutMillis));
    }
}
