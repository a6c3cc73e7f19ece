package io.ticketrush.redis;

import java.util.NoSuchElementException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.util.Pool;

/**
 * Borrows a pooled connection for one call and turns any Redis failure into "unavailable".
 * Behind a circuit breaker: while Redis is known to be down, calls fail at once instead of
 * each waiting for the timeout. Knows whether a write must wait for a replica before anyone is
 * told of it ({@link #waits()}).
 */
public final class RedisCalls {
    private final Pool<Jedis> pool;
    private final CircuitBreaker breaker;
    private final ReplicaWaits waits;
    /** Round trips tried on Redis (calls that got a connection): what the benchmark counts per request. */
    private final LongAdder tried = new LongAdder();

    RedisCalls(Pool<Jedis> pool, CircuitBreaker breaker, ReplicaWaits waits) {
        this.pool = pool;
        this.breaker = breaker;
        this.waits = waits;
    }

    public RedisCalls(Pool<Jedis> pool, CircuitBreaker breaker) {
        this(pool, breaker, ReplicaWaits.none());
    }

    /** Without a breaker worth the name (tests and tools that want every call tried). */
    public RedisCalls(Pool<Jedis> pool) {
        this(pool, new CircuitBreaker(Integer.MAX_VALUE, 1, System::nanoTime));
    }

    /** Runs {@code call} on a pooled connection; only this package speaks Jedis. */
    <T> T call(Function<Jedis, T> call) {
        return call(call, () -> { });
    }

    /**
     * As {@link #call(Function)}; {@code ifUncertain} runs when the connection failed after the
     * call may have reached Redis (a timeout, a broken connection): Redis may still run it.
     */
    <T> T call(Function<Jedis, T> call, Runnable ifUncertain) {
        if (!breaker.allow()) {
            throw new StockUnavailableException("ticket store unreachable (circuit open, probing)");
        }
        Jedis jedis;
        try {
            jedis = borrow();
        } catch (JedisException e) {
            throw failed(e);
        }
        T result;
        tried.increment();
        try (jedis) {
            result = call.apply(jedis);
        } catch (JedisConnectionException e) {
            ifUncertain.run();
            throw failed(e);
        } catch (JedisException e) {
            throw failed(e);
        }
        breaker.onSuccess();
        return result;
    }

    private StockUnavailableException failed(JedisException e) {
        if (e instanceof JedisConnectionException) {
            // The connection broke: the idle ones very likely broke with it (a restarted
            // Redis). Drop them, or each later probe of the breaker would get one of them.
            pool.clear();
        }
        breaker.onFailure();
        return new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
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

    /** Calls that reached for Redis with a connection so far (a pipeline or a script counts once). */
    public long tried() {
        return tried.sum();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The wait for a replica that a write needs before anyone is told of it. */
    ReplicaWaits waits() {
        return waits;
    }
}
