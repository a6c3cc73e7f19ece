package io.ticketrush.redis;

import io.ticketrush.Config;
import io.ticketrush.order.OrderBook;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.OrderEvents;
import io.ticketrush.stats.StatsStore;
import redis.clients.jedis.JedisPool;

/**
 * A node's Redis: one connection pool behind one circuit breaker, and the Redis side of every
 * seam the node uses (global stock, order book, stats). What lies outside this package sees the
 * seams, never Jedis.
 */
public final class RedisStore implements AutoCloseable {
    private final JedisPool pool;
    private final RedisCalls calls;
    private final Keys keys;
    private final RedisGlobalStock globalStock;
    private final Config config;
    private RedisOrderFeed feed;

    private RedisStore(Config config, JedisPool pool, RedisCalls calls, Keys keys, int readTimeoutMillis) {
        this.config = config;
        this.pool = pool;
        this.calls = calls;
        this.keys = keys;
        this.globalStock = new RedisGlobalStock(calls, keys, readTimeoutMillis);
    }

    /** Connects to {@code config}'s Redis for {@code config}'s sale ({@code rush.stock.key}). */
    public static RedisStore open(Config config) {
        JedisPool pool = RedisPools.open(config);
        return new RedisStore(config, pool, new RedisCalls(pool, new CircuitBreaker(config.breakerFailures(),
                config.breakerOpenMillis(), System::nanoTime)), new Keys(config.stockKey()), config.redisTimeoutMillis());
    }

    public GlobalStock globalStock() {
        return globalStock;
    }

    /**
     * Voids the buy calls whose answers were lost (their buyers were told 503); how many tickets
     * came back. The node runs it as a background duty.
     */
    public int settleUncertainBuys() {
        return globalStock.settleUncertainBuys();
    }

    public OrderBook orderBook() {
        return new RedisOrderBook(calls, keys);
    }

    public StatsStore stats() {
        return new RedisStatsStore(calls, keys);
    }

    public SaleAdmin sales() {
        return new SaleAdmin(calls, keys);
    }

    /** Starts telling {@code events} of every order of the sale, as the order stream has them; stopped by {@link #close()}. */
    public synchronized void startOrderFeed(OrderEvents events) {
        if (feed != null) {
            throw new IllegalStateException("the order feed is started already");
        }
        feed = new RedisOrderFeed(config, events).start();
    }

    /** The calls behind the breaker (for the tests of this package). */
    RedisCalls calls() {
        return calls;
    }

    /** Pooled connections not in use (for the tests of this package). */
    int idleConnections() {
        return pool.getNumIdle();
    }

    public CircuitBreaker breaker() {
        return calls.breaker();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (feed != null) {
                feed.close();
            }
        }
        pool.close();
    }
}
