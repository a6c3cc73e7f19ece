package io.ticketrush;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Every {@link #PERIOD_MILLIS} ms, writes this node's {@link NodeReport} into the shared hash
 * {@link Keys#nodeStats()} (so a dashboard request, which reaches one node, sees them all), and in
 * the same round trip reads the global stock for the {@code rush.global.stock.remaining} gauge.
 * On its own thread, so a slow expiry sweep never makes a node look down.
 */
public final class StatsPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatsPublisher.class.getName());
    public static final long PERIOD_MILLIS = 500;

    private final RedisCalls redis;
    private final Keys keys;
    private final NodeStats stats;
    private final long started = System.currentTimeMillis();
    private final ScheduledExecutorService timer;
    private boolean failing; // guarded by this, like every publish

    public StatsPublisher(RedisCalls redis, Keys keys, NodeStats stats) {
        this.redis = redis;
        this.keys = keys;
        this.stats = stats;
        // a port-0 node learns its port from its first request: report right then, so that the
        // node and its key in Redis exist from that request on, not from some time after it
        stats.whenPortLearned(() -> publish(false));
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rush-stats-publisher");
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start() {
        timer.scheduleWithFixedDelay(() -> publish(false), 0, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Writes one report; a node whose port is not known yet (no request so far) has none to write. */
    synchronized void publish(boolean stopping) {
        int port = stats.port();
        if (port == 0) {
            return;
        }
        long now = System.currentTimeMillis();
        String report = Json.toJson(NodeReport.of(stats, stats.sample(System.nanoTime()), started, now, stopping));
        try {
            List<String> stock = redis.call(jedis -> {
                Pipeline pipeline = jedis.pipelined();
                pipeline.hset(keys.nodeStats(), String.valueOf(port), report);
                Response<List<String>> global = pipeline.hmget(keys.stock(), RedisGlobalStock.TOTAL,
                        RedisGlobalStock.SOLD);
                pipeline.sync();
                return global.get();
            });
            if (stock.get(0) != null) {
                long sold = stock.get(1) == null ? 0 : Long.parseLong(stock.get(1));
                stats.globalRemaining(Math.max(0, Long.parseLong(stock.get(0)) - sold));
            }
            if (failing) {
                failing = false;
                LOG.info("publishing node stats works again");
            }
        } catch (RuntimeException e) {
            // the dashboard shows this node as down meanwhile; say so once, not twice a second
            if (!failing) {
                failing = true;
                LOG.log(Level.WARNING, "cannot publish node stats (will keep trying): " + e.getMessage());
            }
        }
    }

    /** Stops the timer and leaves a last report saying this node stopped, so it shows as down at once. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        publish(true);
    }
}
