package io.ticketrush.stats;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Purchase;
import io.ticketrush.settings.NodeSettings;

/**
 * This node's own counters: buy answers by result and buy latency, for {@code /metrics}
 * (Prometheus, through Micrometer) and for the dashboard (published to Redis by
 * {@link StatsPublisher}).
 *
 * <p>A buy costs a {@link LongAdder} increment and one Micrometer timer record; everything else
 * (rates, the last period's percentiles from the timer's histogram, the Prometheus text) is
 * worked out by the reader, off the request path.
 */
public final class NodeStats implements AutoCloseable {

    /** How a buy was answered when it was not answered with an {@link Outcome}. */
    public enum Failure { BUSY, RATE_LIMITED, BAD_REQUEST, ERROR }

    private final NodeSettings settings;
    /** The default sale's local stock on this node (an empty one until someone buys from it). */
    private final Supplier<LocalStock> mainStock;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
    private final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);
    private final Timer buyTimer;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private final AtomicInteger port = new AtomicInteger();
    private volatile Runnable portLearned = () -> { };
    /** The global stock left as the publisher last read it; NaN until it has. */
    private volatile double globalRemaining = Double.NaN;
    /** The order writer's dead letters as the publisher last read them; NaN until it has. */
    private volatile double deadLetters = Double.NaN;
    /** The order writers' lag, and when a writer counted it (ms), as the publisher last read them; NaN until it has. */
    private volatile double writerLag = Double.NaN;
    private volatile double writerLagAt = Double.NaN;
    /** The bytes Redis has allocated as last read (the fullest master's in a cluster); -1 until read. */
    private volatile long redisMemoryUsed = -1;
    private volatile LongSupplier redisRoundTrips = () -> 0;
    private volatile IntSupplier buyCallsToVoid = () -> 0;

    // read and written by the one thread that samples (the publisher)
    private long lastRequests;
    private long lastTickets;
    /** The most tickets a second this node sold in a window whose p99 was within {@link #CAPACITY_P99_MILLIS}. */
    private volatile double sellCapacity;
    private long lastSampleNanos = System.nanoTime();
    private CountAtBucket[] lastBuckets;

    public NodeStats(NodeSettings settings, Supplier<LocalStock> mainStock) {
        this.settings = settings;
        this.mainStock = mainStock;
        this.port.set(settings.nodePort());
        for (Outcome outcome : Outcome.values()) {
            outcomes.put(outcome, counter(outcome.name()));
        }
        for (Failure failure : Failure.values()) {
            failures.put(failure, counter(failure.name()));
        }
        FunctionCounter.builder("rush.tickets.sold", outcomes.get(Outcome.TICKET), LongAdder::sum)
                .description("tickets this node sold (new orders)")
                .register(registry);
        buyTimer = Timer.builder("rush.buy")
                .description("time a buy spent in this node, from the request to the answer")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        Gauge.builder("rush.local.stock.remaining", this, s -> s.mainStock().remaining())
                .description("tickets this node may still sell from its local stock").register(registry);
        Gauge.builder("rush.local.stock.quota", this, s -> s.mainStock().quota())
                .description("this node's local stock: its weight share plus the buffer, plus refills")
                .register(registry);
        Gauge.builder("rush.global.stock.remaining", this, stats -> stats.globalRemaining)
                .description("tickets left in the global stock, as last read from Redis (every "
                        + StatsPublisher.PERIOD_MILLIS + " ms, never on a scrape)")
                .register(registry);
        Gauge.builder("rush.orders.dead.letters", this, stats -> stats.deadLetters)
                .description("order stream entries the order writer set aside unwritten (rush:order-dead-letters),"
                        + " as last read from Redis (every " + StatsPublisher.PERIOD_MILLIS + " ms, never on a scrape)")
                .register(registry);
        Gauge.builder("rush.orders.writer.lag", this, stats -> stats.writerLag)
                .description("order events in the streams no order writer has written yet, as a writer last counted"
                        + " them (every second while one runs; see rush_orders_writer_lag_age_seconds)")
                .register(registry);
        Gauge.builder("rush.orders.writer.lag.age.seconds", this,
                stats -> (System.currentTimeMillis() - stats.writerLagAt) / 1000.0)
                .description("how long ago an order writer last counted its lag: growing, no writer runs")
                .register(registry);
        Gauge.builder("rush.redis.memory.used.bytes", this,
                stats -> stats.redisMemoryUsed < 0 ? Double.NaN : stats.redisMemoryUsed)
                .description("bytes Redis has allocated (MEMORY STATS total.allocated; in a cluster the fullest"
                        + " master's), as last read on the operators' connections (every second, never on a scrape)")
                .register(registry);
        Gauge.builder("rush.redis.memory.limit.bytes", settings, NodeSettings::redisMaxMemory)
                .description("Redis's maxmemory as ./rush gave it (rush.redis.maxmemory.bytes; each server's): past it"
                        + " Redis refuses writes and a buy answers 503; 0: not known")
                .register(registry);
        Gauge.builder("rush.node.weight", settings, NodeSettings::nodeWeight)
                .description("this node's Nginx weight").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
    }

    /**
     * Counts this node's round trips to Redis as {@code rush_redis_round_trips_total}: the
     * benchmark reads it before and after a rush (losers must cost none).
     */
    public void countRedisRoundTrips(LongSupplier roundTrips) {
        redisRoundTrips = roundTrips; // a meter holds its object weakly: this one is held here
        FunctionCounter.builder("rush.redis.round.trips", this, stats -> stats.redisRoundTrips.getAsLong())
                .description("round trips this node made to Redis (a script, a pipeline or a stream read counts once)")
                .register(registry);
    }

    /** Buy calls answered 503 whose void has not reached Redis (or a replica) yet: {@code rush.redis.voids.waiting}. */
    public void meterBuyCallsToVoid(IntSupplier waiting) {
        buyCallsToVoid = waiting; // a meter holds its object weakly: this one is held here
        Gauge.builder("rush.redis.voids.waiting", this, stats -> stats.buyCallsToVoid.getAsInt())
                .description("buy calls answered 503 whose tickets wait to be given back (their void has not reached"
                        + " Redis, or a replica, yet)")
                .register(registry);
    }

    /** The counter of one kind of answer, registered as {@code rush_buy_requests_total{result="..."}}. */
    private LongAdder counter(String result) {
        LongAdder count = new LongAdder();
        FunctionCounter.builder("rush.buy.requests", count, LongAdder::sum)
                .description("buy requests answered by this node, by result")
                .tag("result", result.toLowerCase(Locale.ROOT))
                .register(registry);
        return count;
    }

    /** Counts one buy answer: {@code purchase} is null when the buy did not get that far. */
    public void answered(int status, Purchase purchase) {
        if (status == 200 && purchase != null) {
            outcomes.get(purchase.outcome()).increment();
        } else {
            failures.get(status == 503 ? Failure.BUSY : status == 429 ? Failure.RATE_LIMITED
                    : status >= 400 && status < 500 ? Failure.BAD_REQUEST : Failure.ERROR).increment();
        }
    }

    /**
     * Meters one of the node's bounds on requests in flight (docs/failures.md, "Shedding"), tagged
     * {@code paths} with the group of paths it bounds ({@code buy}: buys that wait for Redis;
     * {@code room}: the waiting rooms' joins and polls; {@code orders}: {@code /pay},
     * {@code /order/cancel}, {@code /order}, {@code /orders}): {@code rush_admission_limit} (how
     * many it admits at once; 0: no bound), {@code rush_admission_in_flight} (admitted and not yet
     * answered) and {@code rush_shed_total} (turned away at once, 503 busy), read from
     * {@code admission} (held weakly, as Micrometer does: it must live as long as the node). A fixed
     * set of groups: three series a meter, whatever the sales.
     */
    public <T> void meterAdmission(String paths, T admission, ToIntFunction<T> limit, ToIntFunction<T> inFlight,
            ToLongFunction<T> shed) {
        Gauge.builder("rush.admission.limit", admission, a -> limit.applyAsInt(a))
                .description("requests this node lets wait at once, per group of paths (rush.shed.limit; 0: no bound)")
                .tag("paths", paths)
                .register(registry);
        Gauge.builder("rush.admission.in.flight", admission, a -> inFlight.applyAsInt(a))
                .description("requests admitted under the bound and not answered yet, per group of paths")
                .tag("paths", paths)
                .register(registry);
        FunctionCounter.builder("rush.shed", admission, a -> shed.applyAsLong(a))
                .description("requests answered 503 busy at once, nothing done, because the group's bound was"
                        + " reached")
                .tag("paths", paths)
                .register(registry);
    }

    /**
     * {@code rush_buy_shed_total}: buyers shed by the buy bound (as {@code rush_shed_total{paths="buy"}};
     * kept under its first name, also counted in {@code rush_buy_requests_total{result="busy"}}).
     */
    public <T> void meterBuyShed(T admission, ToLongFunction<T> shed) {
        FunctionCounter.builder("rush.buy.shed", admission, a -> shed.applyAsLong(a))
                .description("buyers answered 503 busy at once, before any Redis call, because the admission"
                        + " limit was reached (also counted in rush_buy_requests_total{result=\"busy\"})")
                .register(registry);
    }

    /**
     * Meters the waits for a replica ({@code WAIT}) before a write is answered (docs/replication.md):
     * how many, their time in all, and how many ran out, read from {@code waits} (which the meters
     * hold weakly, as Micrometer does: it must live as long as the node).
     */
    public <T> void meterReplicaWaits(T waits, ToLongFunction<T> count, ToLongFunction<T> nanos,
            ToLongFunction<T> timeouts) {
        FunctionCounter.builder("rush.redis.replica.waits", waits, count::applyAsLong)
                .description("waits for a replica to have a write before it is answered: one per buy call that"
                        + " sold or told of an order, per void, per payment")
                .register(registry);
        FunctionCounter.builder("rush.redis.replica.wait.seconds", waits, w -> nanos.applyAsLong(w) / 1e9)
                .description("time spent in those waits, in all")
                .register(registry);
        FunctionCounter.builder("rush.redis.replica.wait.timeouts", waits, timeouts::applyAsLong)
                .description("waits that ran out before a replica had the write: a buy call answered 503 and"
                        + " voided, a void tried again, a payment answered 503")
                .register(registry);
    }

    /** Records how long one buy took. */
    public void took(long nanos) {
        buyTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Learns this node's port from a request when it is not configured (a test's port-0 node);
     * until then the node has no name to publish under. The first request to teach it runs
     * {@link #whenPortLearned}'s action before going on.
     */
    public void seenOn(int localPort) {
        if (port.get() == 0 && port.compareAndSet(0, localPort)) {
            portLearned.run();
        }
    }

    /** What to do once, on the request thread, when the port is learned from a request. */
    void whenPortLearned(Runnable action) {
        portLearned = action;
    }

    /** The configured port, or the one a request came in on; 0 while unknown. */
    public int port() {
        return port.get();
    }

    public long count(Outcome outcome) {
        return outcomes.get(outcome).sum();
    }

    public long count(Failure failure) {
        return failures.get(failure).sum();
    }

    /** Buy requests answered so far, whatever the answer. */
    public long requests() {
        long sum = 0;
        for (LongAdder count : outcomes.values()) {
            sum += count.sum();
        }
        for (LongAdder count : failures.values()) {
            sum += count.sum();
        }
        return sum;
    }

    /** The bytes Redis has allocated, as just read; -1: the read failed (the gauge shows NaN, not an old figure). */
    public void redisMemoryUsed(long bytes) {
        redisMemoryUsed = bytes;
    }

    /** Redis's memory against its limit, as last read. */
    public RedisMemory redisMemory() {
        return new RedisMemory(redisMemoryUsed, settings.redisMaxMemory());
    }

    void globalRemaining(long remaining) {
        globalRemaining = remaining;
    }

    void deadLetters(long count) {
        deadLetters = count;
    }

    void writerLag(long events, long countedAtMillis) {
        writerLagAt = countedAtMillis;
        writerLag = events;
    }

    /** The buy p99 (ms) within which a window's sales count as capacity: the target for a rush. */
    public static final double CAPACITY_P99_MILLIS = 500;

    /** What the last interval looked like: requests per second and latency percentiles in ms. */
    public record Window(double requestsPerSecond, double p50Millis, double p99Millis) {
    }

    /**
     * The window since the previous call: its request rate and latency percentiles (0 when no
     * request was answered in it). One caller at a time: the publisher's thread.
     */
    public Window sample(long nowNanos) {
        long requests = requests();
        double seconds = Math.max(1e-3, (nowNanos - lastSampleNanos) / 1e9);
        double rate = (requests - lastRequests) / seconds;
        lastRequests = requests;
        lastSampleNanos = nowNanos;
        // the Prometheus histogram counts since the start: the difference is this window's
        CountAtBucket[] buckets = buyTimer.takeSnapshot().histogramCounts();
        CountAtBucket[] before = lastBuckets != null && lastBuckets.length == buckets.length ? lastBuckets : null;
        lastBuckets = buckets;
        Window window = new Window(rate, percentileMillis(buckets, before, 0.50), percentileMillis(buckets, before, 0.99));
        long tickets = count(Outcome.TICKET);
        double sold = (tickets - lastTickets) / seconds;
        lastTickets = tickets;
        // what it has shown it can sell while answering in time: a window slower than that shows a crowd, not a capacity
        if (window.p99Millis() <= CAPACITY_P99_MILLIS && sold > sellCapacity) {
            sellCapacity = sold;
        }
        return window;
    }

    /**
     * This node's measured capacity to sell: the most tickets a second ({@code rush_tickets_sold_total}'s
     * rate over one {@link #sample} window) it sold in any window since it started whose buy p99 was
     * at most {@link #CAPACITY_P99_MILLIS}; 0 until it sold one so. A queued sale's {@code queue=auto}
     * admits from the cluster's (docs/queue.md, "The rate").
     */
    public double sellCapacity() {
        return sellCapacity;
    }

    /**
     * The {@code q} quantile of what was recorded between two snapshots of a cumulative histogram,
     * interpolated within its bucket as Prometheus's {@code histogram_quantile} does; 0 when
     * nothing was. {@code before} null: since the start.
     */
    static double percentileMillis(CountAtBucket[] now, CountAtBucket[] before, double q) {
        int last = now.length - 1;
        double total = last < 0 ? 0 : now[last].count() - (before == null ? 0 : before[last].count());
        if (total <= 0) {
            return 0;
        }
        double rank = q * total;
        double below = 0;
        double lowerBound = 0;
        for (int i = 0; i <= last; i++) {
            double upTo = now[i].count() - (before == null ? 0 : before[i].count());
            double upperBound = now[i].bucket(TimeUnit.MILLISECONDS);
            if (upTo >= rank) {
                double inBucket = upTo - below;
                return lowerBound + (upperBound - lowerBound) * (inBucket <= 0 ? 1 : (rank - below) / inBucket);
            }
            below = upTo;
            lowerBound = upperBound;
        }
        return now[last].bucket(TimeUnit.MILLISECONDS);
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    public NodeSettings settings() {
        return settings;
    }

    /** The default sale's local stock on this node. */
    public LocalStock mainStock() {
        return mainStock.get();
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}
