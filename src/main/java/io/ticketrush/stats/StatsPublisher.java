package io.ticketrush.stats;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.ticketrush.duty.Duty;

/**
 * Every {@link #PERIOD_MILLIS} ms, writes this node's {@link NodeReport} into the shared hash
 * {@link StatsStore} (so a dashboard request, which reaches one node, sees them all), and in
 * the same round trip reads the global stock and the order writer's dead letters for the
 * {@code rush.global.stock.remaining} and {@code rush.orders.dead.letters} gauges.
 * On its own thread, so a slow expiry sweep never makes a node look down.
 */
public final class StatsPublisher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatsPublisher.class.getName());
    public static final long PERIOD_MILLIS = 500;

    private final StatsStore store;
    private final NodeStats stats;
    private final long started = System.currentTimeMillis();
    private final ScheduledExecutorService timer;
    // the dashboard shows this node as down while it fails; say so once, not twice a second
    private final Duty duty = new Duty("publishing node stats", LOG);

    public StatsPublisher(StatsStore store, NodeStats stats) {
        this.store = store;
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
        String report = NodeReport.of(stats, stats.sample(System.nanoTime()), started, now, stopping).toJson();
        duty.run(() -> {
            StatsStore.Readings read = store.publish(port, report);
            if (read.globalRemaining() != null) {
                stats.globalRemaining(read.globalRemaining());
            }
            stats.deadLetters(read.deadLetters());
            if (read.writerLag() != null && read.writerLagAt() != null) {
                stats.writerLag(read.writerLag(), read.writerLagAt());
            }
        });
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
