package io.ticketrush.redis;

import java.util.List;
import java.util.function.Supplier;

import io.ticketrush.order.OrderBook;
import io.ticketrush.queue.QueueStore;
import io.ticketrush.redis.connect.CircuitBreaker;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisClock;
import io.ticketrush.redis.connect.RedisConnections;
import io.ticketrush.redis.connect.RedisPools;
import io.ticketrush.redis.connect.ReplicaWaits;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderBook;
import io.ticketrush.redis.orders.RedisOrderFeed;
import io.ticketrush.redis.queue.RedisQueue;
import io.ticketrush.redis.sales.RedisSaleCatalog;
import io.ticketrush.redis.sales.RedisSaleArchive;
import io.ticketrush.redis.sales.SaleAdmin;
import io.ticketrush.archive.SaleArchive;
import io.ticketrush.redis.stats.RedisStatsStore;
import io.ticketrush.redis.stock.RedisBuckets;
import io.ticketrush.redis.stock.RedisGlobalStock;
import io.ticketrush.redis.stock.UncertainBuys;
import io.ticketrush.sale.Buckets;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.OrderListener;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.stats.StatsStore;
import redis.clients.jedis.exceptions.JedisException;

/**
 * A node's Redis: one connection pool behind one circuit breaker, one reading of Redis's clock,
 * and the Redis side of every seam the node uses (the sales, their global stocks, the order book,
 * stats). The operators' reads ({@code /stock}, {@code /dashboard/data}) have a small pool and a
 * breaker of their own, so they never take, or wait for, a buyer's connection. What lies outside
 * this package sees the seams, never Jedis.
 */
public final class RedisStore implements AutoCloseable {
    /** Connections of the operators' reads; each endpoint reads at most once a second (its cache). */
    static final int OPERATOR_POOL_SIZE = 2;
    /** How the operators' connections are named in Redis's {@code CLIENT LIST}. */
    static final String OPERATOR_CLIENT_NAME = "ticket-rush-operator";

    private final StoreSettings settings;
    private final RedisCalls calls;
    private final RedisCalls operatorCalls;
    private final RedisClock clock = new RedisClock();
    private final UncertainBuys uncertain;
    private final RedisSaleCatalog catalog;
    private final SaleAdmin admin;
    private final java.util.concurrent.atomic.LongAdder memoryRoundTrips = new java.util.concurrent.atomic.LongAdder();
    private RedisOrderFeed feed; // guarded by this

    private RedisStore(StoreSettings settings, RedisCalls calls, RedisCalls operatorCalls) {
        this.settings = settings;
        this.calls = calls;
        this.operatorCalls = operatorCalls;
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
        RedisConnections operatorConnections;
        try {
            connections = RedisPools.connections(settings.redis());
        } catch (JedisException e) {
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
        try {
            operatorConnections = RedisPools.connections(settings.redis(), OPERATOR_POOL_SIZE, OPERATOR_CLIENT_NAME);
        } catch (JedisException e) {
            connections.close();
            throw new StockUnavailableException("ticket store unreachable: " + e.getMessage(), e);
        }
        ReplicaWaits waits = ReplicaWaits.of(settings.redis().replication());
        return new RedisStore(settings, new RedisCalls(connections, breaker(settings), waits),
                new RedisCalls(operatorConnections, breaker(settings), waits));
    }

    private static CircuitBreaker breaker(StoreSettings settings) {
        return new CircuitBreaker(settings.breakerFailures(), settings.breakerOpenMillis(), System::nanoTime);
    }

    /** The keys of sale {@code id} (the default sale keeps its stock key, {@code rush.stock.key}). */
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

    /** The queued sales' waiting rooms (docs/queue.md). */
    public QueueStore queue() {
        return new RedisQueue(calls, this::keys);
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

    /** The global stock of {@code sale} as {@code /stock} shows it, read on the operators' connections. */
    public GlobalStock.Snapshot operatorStock(Sale sale) {
        return new RedisGlobalStock(operatorCalls, keys(sale.id()), admin, clock, uncertain,
                settings.redis().timeoutMillis()).snapshot();
    }

    /** The stats as {@code /dashboard/data} reads them, on the operators' connections. */
    public StatsStore operatorStats(Supplier<List<Sale>> sales) {
        return new RedisStatsStore(operatorCalls, this::keys, sales);
    }

    /**
     * The bytes Redis has allocated ({@code MEMORY STATS}' {@code total.allocated}, the one command
     * beyond the data the nodes' ACL user has: never INFO or CONFIG), read on the operators'
     * connections, never a buyer's: with one Redis its own, with Sentinel the primary's, in a
     * cluster the fullest master's (each server has the same maxmemory, so the fullest is the one
     * to refuse writes first).
     */
    public long memoryUsed() {
        List<Long> used = operatorCalls.onEachMaster(jedis -> allocated(jedis.memoryStats()));
        memoryRoundTrips.add(used.size());
        return used.stream().mapToLong(Long::longValue).max().orElseThrow();
    }

    /** Round trips of {@link #memoryUsed} so far (one per master read; also in {@link #operatorRoundTrips()}). */
    public long memoryRoundTrips() {
        return memoryRoundTrips.sum();
    }

    private static long allocated(java.util.Map<String, Object> stats) {
        Object allocated = stats.get("total.allocated");
        if (!(allocated instanceof Number number)) {
            throw new IllegalStateException("MEMORY STATS without total.allocated: " + stats.keySet());
        }
        return number.longValue();
    }

    /** Round trips of the operators' reads so far (also counted in {@link #roundTrips()}). */
    public long operatorRoundTrips() {
        return operatorCalls.tried();
    }

    /** Moves stock between a hot sale's buckets; {@code nodePort} names this node's transfers. */
    public Buckets buckets(int nodePort) {
        return new RedisBuckets(calls, this::keys, clock, nodePort);
    }

    public SaleAdmin admin() {
        return admin;
    }

    /** The archiving's side in Redis (docs/archive.md). */
    public SaleArchive archive() {
        return new RedisSaleArchive(calls, settings, catalog);
    }

    /**
     * Voids the buy calls whose answers were lost (their buyers were told 503); how many tickets
     * came back. The node runs it as a background duty.
     */
    public int settleUncertainBuys() {
        return uncertain.settle();
    }

    /** Tells {@code events} of every order of {@code sale}, as its order stream has them, from the first. */
    public synchronized void follow(Sale sale, OrderListener events) {
        if (feed == null) {
            feed = new RedisOrderFeed(settings.redis()).start();
        }
        feed.follow(keys(sale.id()), events);
    }

    /** Stops following sale {@code id}'s orders (it was archived: its stream is gone). */
    public synchronized void unfollow(String id) {
        if (feed != null) {
            feed.unfollow(keys(id));
        }
    }

    /** The sales' order streams this node follows now. */
    public synchronized int following() {
        return feed == null ? 0 : feed.following();
    }

    /**
     * Round trips this node has made to Redis so far (buys, sales, stats, the operators' and the
     * order feed's reads): what {@code ./rush bench rush} counts per request, from every node's
     * {@code /metrics}.
     */
    public synchronized long roundTrips() {
        return calls.tried() + operatorCalls.tried() + (feed == null ? 0 : feed.reads());
    }

    /**
     * Buy calls answered 503 whose void has not been done, or not reached a replica, yet: each
     * still holds tickets nobody was sold (a node's {@code /metrics}).
     */
    public int buyCallsToVoid() {
        return uncertain.waiting();
    }

    /** Whether a buyer is told of a sale only once a replica has it (Sentinel, Cluster; not one Redis). */
    public boolean waitsForReplicas() {
        return calls.waits().waiting();
    }

    /** The waits for a replica so far: how many, their time in all (ns), how many ran out. */
    public record ReplicaWaitCounts(long count, long nanos, long timeouts) {
    }

    public ReplicaWaitCounts replicaWaitCounts() {
        ReplicaWaits waits = calls.waits();
        return new ReplicaWaitCounts(waits.count(), waits.nanos(), waits.timeouts());
    }

    @Override
    public void close() {
        synchronized (this) {
            if (feed != null) {
                feed.close();
            }
        }
        calls.close();
        operatorCalls.close();
    }
}
