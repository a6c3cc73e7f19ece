package io.ticketrush.redis;

import java.util.NoSuchElementException;
import java.util.function.Function;

import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Borrows a pooled connection for one call and turns any Redis failure into "unavailable".
 * Behind a circuit breaker: while Redis is known to be down, calls fail at once instead of
 * each waiting for the timeout.
 */
public final class RedisCalls {
    private final JedisPool pool;
    private final CircuitBreaker breaker;

    public RedisCalls(JedisPool pool, CircuitBreaker breaker) {
        this.pool = pool;
        this.breaker = breaker;
    }

    /** Without a breaker worth the name (tests and tools that want every call tried). */
    public RedisCalls(JedisPool pool) {
        this(pool, new CircuitBreaker(Integer.MAX_VALUE, 1, System::nanoTime));
    }

    /** Runs {@code call} on a pooled connection; only this package speaks Jedis. */
    <T> T call(Function<Jedis, T> call) {
        if (!breaker.allow()) {
            throw new StockUnavailableException("ticket store unreachable (circuit open, probing)");
        }
        T result;
        try (Jedis jedis = borrow()) {
            result = call.apply(jedis);
        } catch (JedisException e) {
            if (e instanceof JedisConnectionException) {
                // The connection broke: the idle ones very likely broke with it (a restarted
                // Redis). Drop them, or each later probe of the breaker would get one of them.
                pool.clear();
            }
            breaker.onFailure();
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
        breaker.onSuccess();
        return result;
    }

    /**
     * A pooled connection. Every connection being in use for the whole pool wait says this node
     * is busy, not that Redis is down: the buyer hears "busy" and the breaker does not count it.
     */
    private Jedis borrow() {
        try {
            return pool.getResource();
        } catch (JedisException e) {
            if (e.getCause() instanceof NoSuchElementException exhausted && exhausted.getCause() == null) {
                throw new BusyException("node busy: no Redis connection free within the pool wait");
            }
            throw e;
        }
    }

    public CircuitBreaker breaker() {
        return breaker;
    }
}
