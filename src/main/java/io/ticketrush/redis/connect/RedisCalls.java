package io.ticketrush.redis.connect;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.sale.StoreFullException;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.util.Pool;

/**
 * Borrows a pooled connection for one call (in a Redis Cluster, from the master of the call's
 * key) and turns any Redis failure into "unavailable".
 * Behind a circuit breaker: while Redis is known to be down, calls fail at once instead of
 * each waiting for the timeout. A write Redis refuses for memory is no sign of that: it is said as
 * what it is ({@link StoreFullException}) and does not count against the breaker. Knows whether a write must wait for a replica before anyone is
 * told of it ({@link #waits()}).
 */
public final class RedisCalls {
    private final RedisConnections connections;
    private final CircuitBreaker breaker;
    /** In a Redis Cluster, a breaker per master: a master failing over must not fail the sales of the others. */
    private final Map<Object, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final ReplicaWaits waits;
    /** Round trips tried on Redis (calls that got a connection): what the benchmark counts per request. */
    private final LongAdder tried = new LongAdder();

    public RedisCalls(RedisConnections connections, CircuitBreaker breaker, ReplicaWaits waits) {
        this.connections = connections;
        this.breaker = breaker;
        this.waits = waits;
    }

    public RedisCalls(Pool<Jedis> pool, CircuitBreaker breaker) {
        this(RedisConnections.of(pool), breaker, ReplicaWaits.none());
    }

    /** Without a breaker worth the name (tests and tools that want every call tried). */
    public RedisCalls(Pool<Jedis> pool) {
        this(pool, new CircuitBreaker(Integer.MAX_VALUE, 1, System::nanoTime));
    }

    /**
     * Runs {@code call} on a pooled connection to the Redis that holds {@code key} (in a cluster,
     * the master of its slot; every key the call touches must share that slot, as a sale's keys
     * do); only this package speaks Jedis.
     */
    public <T> T call(String key, Function<Jedis, T> call) {
        return call(key, call, () -> { });
    }

    /**
     * As {@link #call(String, Function)}; {@code ifUncertain} runs when the connection failed after
     * the call may have reached Redis (a timeout, a broken connection): Redis may still run it.
     * A call told that its slot moved (a failover in a cluster) ran nothing, so it is sent once more
     * where the slot is now.
     */
    public <T> T call(String key, Function<Jedis, T> call, Runnable ifUncertain) {
        CircuitBreaker breaker = breakerFor(key);
        if (!breaker.allow()) {
            throw new StockUnavailableException("ticket store unreachable (circuit open, probing)");
        }
        for (int attempt = 0;; attempt++) {
            Jedis jedis;
            try {
                jedis = borrow(key);
            } catch (JedisException e) {
                throw failed(e, breaker);
            }
            T result;
            tried.increment();
            try (jedis) {
                result = call.apply(jedis);
            } catch (JedisMovedDataException e) {
                // refused before it ran (every key of a call shares the slot, so the first command is told)
                if (attempt == 0) {
                    connections.moved();
                    continue;
                }
                throw failed(e, breaker);
            } catch (JedisConnectionException e) {
                ifUncertain.run();
                throw failed(e, breaker);
            } catch (JedisException e) {
                throw failed(e, breaker);
            }
            breaker.onSuccess();
            return result;
        }
    }

    /**
     * One try of {@code call}, past the breaker: for a call that must be tried now whatever the
     * breaker says (the void of a buy whose answer was lost, before its buyers hear 503). A failure
     * is a {@link StockUnavailableException} and does not count against the breaker (the failure
     * that made the call needed has); a success tells it Redis answers.
     */
    public <T> T tryPastBreaker(String key, Function<Jedis, T> call) {
        CircuitBreaker breaker = breakerFor(key);
        T result;
        try (Jedis jedis = connections.borrow(key)) {
            tried.increment();
            result = call.apply(jedis);
        } catch (JedisException e) {
            connections.afterFailure(e);
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
        breaker.onSuccess();
        return result;
    }

    /** The breaker of the server that holds {@code key}: the one breaker, or in a cluster its master's. */
    private CircuitBreaker breakerFor(String key) {
        if (!connections.cluster()) {
            return breaker;
        }
        return breakers.computeIfAbsent(connections.serverOf(key), server -> breaker.sibling());
    }

    /**
     * Runs {@code reads} on a pipeline whose commands each go to the Redis of their key (one
     * round trip per server); {@code reads} syncs it. For reads over many sales only: a pipeline
     * over several servers is not one call that may be retried or voided.
     */
    public <T> T pipelined(Function<AbstractPipeline, T> reads) {
        if (!breaker.allow()) {
            throw new StockUnavailableException("ticket store unreachable (circuit open, probing)");
        }
        AbstractPipeline pipeline;
        try {
            pipeline = pipeline();
        } catch (JedisException e) {
            throw failed(e, breaker);
        }
        T result;
        tried.increment();
        try (pipeline) {
            result = reads.apply(pipeline);
        } catch (JedisException e) {
            throw failed(e, breaker);
        } catch (IllegalStateException e) {
            // a cluster pipeline's sync logs a connection lost to one of its servers instead of
            // throwing, and leaves that server's answers unset: reading one throws this
            throw failed(new JedisConnectionException("a pipelined answer never came: " + e.getMessage(), e),
                    breaker);
        }
        breaker.onSuccess();
        return result;
    }

    /**
     * Runs {@code call} on a connection to each master (the one Redis, or every master of a
     * cluster): for what every shard must do, such as loading a script or reading its counters.
     */
    public <T> List<T> onEachMaster(Function<Jedis, T> call) {
        List<Jedis> masters;
        try {
            masters = connections.masters();
        } catch (JedisException e) {
            throw failed(e, breaker);
        }
        List<T> results = new ArrayList<>(masters.size());
        try {
            for (Jedis jedis : masters) {
                tried.increment();
                results.add(call.apply(jedis));
            }
        } catch (JedisException e) {
            throw failed(e, breaker);
        } finally {
            masters.forEach(Jedis::close);
        }
        return results;
    }

    private StockUnavailableException failed(JedisException e, CircuitBreaker breaker) {
        if (outOfMemory(e)) {
            // Redis answered at once: it is up, so the breaker hears of a server that answers (it would
            // otherwise open and refuse reads too, which Redis still serves); nothing was written
            breaker.onSuccess();
            return new StoreFullException("ticket store out of memory (Redis refuses writes past its maxmemory,"
                    + " noeviction; nothing written): " + e.getMessage(), e);
        }
        // dead idle connections dropped, or each later probe of the breaker would get one of them
        connections.afterFailure(e);
        breaker.onFailure();
        return new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
    }

    /**
     * Whether Redis refused the call for memory ({@code OOM command not allowed when used memory >
     * 'maxmemory'}, also as a script's error): a full server, not an unreachable one.
     */
    static boolean outOfMemory(JedisException e) {
        return e instanceof JedisDataException && e.getMessage() != null && e.getMessage().startsWith("OOM ");
    }

    /**
     * A pooled connection. Every connection being in use for the whole pool wait says this node
     * is busy, not that Redis is down: the buyer hears "busy" and the breaker does not count it.
     */
    private Jedis borrow(String key) {
        try {
            return connections.borrow(key);
        } catch (JedisException e) {
            throw busyIfExhausted(e);
        }
    }

    private AbstractPipeline pipeline() {
        try {
            return connections.pipeline();
        } catch (JedisException e) {
            throw busyIfExhausted(e);
        }
    }

    private static RuntimeException busyIfExhausted(JedisException e) {
        if (e.getCause() instanceof NoSuchElementException exhausted && exhausted.getCause() == null) {
            return new BusyException("node busy: no Redis connection free within the pool wait");
        }
        return e;
    }

    /** Whether keys of different sales may live on different servers (a Redis Cluster). */
    boolean cluster() {
        return connections.cluster();
    }

    /** Pooled connections not in use. */
    public int idle() {
        return connections.idle();
    }

    public void close() {
        connections.close();
    }

    /** Calls that reached for Redis with a connection so far (a pipeline or a script counts once). */
    public long tried() {
        return tried.sum();
    }

    /** The breaker of the calls (in a cluster, of the reads over every master; each master has its own besides). */
    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The wait for a replica that a write needs before anyone is told of it. */
    public ReplicaWaits waits() {
        return waits;
    }
}
