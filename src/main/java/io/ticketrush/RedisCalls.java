package io.ticketrush;

import java.util.function.Function;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/** Borrows a pooled connection for one call and turns any Redis failure into "unavailable". */
public final class RedisCalls {
    private final JedisPool pool;

    public RedisCalls(JedisPool pool) {
        this.pool = pool;
    }

    <T> T call(Function<Jedis, T> call) {
        try (Jedis jedis = pool.getResource()) {
            return call.apply(jedis);
        } catch (JedisException e) {
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
    }
}
