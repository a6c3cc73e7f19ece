package io.ticketrush.redis;

import java.util.List;
import java.util.function.Supplier;

import io.ticketrush.order.OrderBook;
import io.ticketrush.sale.Buckets;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.OrderEvents;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.stats.StatsStore;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A node's Redis: one connection pool behind one circuit breaker, one reading of Redis's clock,
 * and the Redis side of every seam the node uses (the sales, their global stocks, the order book,
 * stats). What lies outside this package sees the seams, never Jedis.
 */
public final class RedisStore implements AutoCloseable {
    private final StoreSettings settings;
    private final RedisCalls calls;
    private final RedisClock clock = new RedisClock();
    private final UncertainBuys uncertain;
    private final RedisSaleCatalog catalog;
    private final SaleAdmin admin;
    private RedisOrderFeed feed; // guarded by this

    private RedisStore(StoreSettings settings, RedisCalls calls) {
        this.settings = settings;
        this.calls = calls;
        this.uncertain = new UncertainBuys(calls);
        this.catalog = new RedisSaleCatalog(calls, settings, clock);
        this.admin = new SaleAdmin(calls, settings, catalog);
    }

    /**
     * Connects to the Redis {@code settings} names.
     *
     * @throws StockUnavailableException with Sentinel: none of them named the primary; with a
     *     cluster: no seed node told its slots
     */
    public static RedisStore open(StoreSettings settings) {
        RedisConnections connections;
        try {
            connections = RedisPools.connections(settings.redis());
        } catch (JedisException e) {
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
        return new RedisStore(settings, new RedisCalls(connections, new CircuitBreaker(settings.breakerFailures(),
                settings.breakerOpenMillis(), System::nanoTime), ReplicaWaits.of(settings.redis().replication())));
    }

    /** The keys of sale {@code id} (the article's sale keeps its stock key, {@code rush.stock.key}). */
    Keys keys(String id) {
        return Keys.of(id, settings.stockKey());
    }

    public SaleCatalog catalog() {
        return catalog;
    }

    /** The global stock of {@code sale}. */
    public GlobalStock stockOf(Sale sale) {
        return new RedisGlobalStock(calls, keys(sale.id()), admin, clock, uncertain,
                settings.redis().timeoutMillis());
    }

    /** The article's sale's global stock (for the tests of the buy step). */
    public GlobalStock globalStock() {
        return new RedisGlobalStock(calls, keys(Sale.DEFAULT), admin, clock, uncertain,
                settings.redis().timeoutMillis());
    }

    /** The orders of every sale in {@code sales} (a node passes the sales it knows). */
    public OrderBook orderBook(Supplier<List<Sale>> sales) {
        return new RedisOrderBook(calls, this::keys, sales);
    }

    /** The orders of every sale, the sales read from Redis at each use (tests and tools). */
    public OrderBook orderBook() {
        return orderBook(catalog::all);
    }

    public StatsStore stats(Supplier<List<Sale>> sales) {
        return new RedisStatsStore(calls, this::keys, sales);
    }

    /** Moves stock between a hot sale's buckets; {@code nodePort} names this node's transfers. */
    public Buckets buckets(int nodePort) {
        return new RedisBuckets(calls, this::keys, clock, nodePort);
    }

    public SaleAdmin admin() {
        return admin;
    }

    /**
     * Voids the buy calls whose answers were lost (their buyers were told 503); how many tickets
     * came back. The node runs it as a background duty.
     */
    public int settleUncertainBuys() {
        return uncertain.settle();
    }

    /** Tells {@code events} of every order of {@code sale}, as its order stream has them, from the first. */
    public synchronized void follow(Sale sale, OrderEvents events) {
        if (feed == null) {
            feed = new RedisOrderFeed(settings.redis()).start();
        }
        feed.follow(keys(sale.id()), events);
    }

    /**
     * Round trips this node has made to Redis so far (buys, sales, stats, the order feed's reads):
     * what {@code ./rush bench rush} counts per request, from every node's {@code /metrics}.
     */
    public synchronized long roundTrips() {
        return calls.tried() + (feed == null ? 0 : feed.reads());
    }

    /** The calls behind the breaker (for the tests of this package). */
    RedisCalls calls() {
        return calls;
    }

    /** The buy calls waiting to be voided (for the tests of this package). */
    UncertainBuys uncertainBuys() {
        return uncertain;
    }

    /** Pooled connections not in use (for the tests of this package). */
    int idleConnections() {
        return calls.idle();
    }

    public CircuitBreaker breaker() {
        return calls.breaker();
    }

    /** The waits for a replica before a buyer is told of a sale (none with one Redis). */
    public ReplicaWaits replicaWaits() {
        return calls.waits();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (feed != null) {
                feed.close();
            }
        }
        calls.close();
    }
}
