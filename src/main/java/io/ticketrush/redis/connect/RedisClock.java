package io.ticketrush.redis.connect;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Redis's clock as this node sees it: the last {@code TIME} reading, carried forward on this
 * node's monotonic clock, so that a step of the node's wall clock changes nothing. A reading is
 * off by at most half the round trip it was taken in; a reading from a slow round trip replaces
 * a better one only once that one is old, as the two clocks may drift apart.
 */
public final class RedisClock {
    /** A reading this old is replaced by any newer one, however slow its round trip. */
    private static final long STALE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Redis's time in µs at the node's {@code nanos}, give or take {@code errorNanos}. */
    private record Reading(long redisMicros, long nanos, long errorNanos) {
    }

    private volatile Reading reading;

    /**
     * One {@code TIME} answer: sent at {@code sentNanos}, answered at {@code receivedNanos}
     * (System.nanoTime), Redis's {@code seconds} and {@code micros}.
     */
    public void observe(long sentNanos, long seconds, long micros, long receivedNanos) {
        long half = (receivedNanos - sentNanos) / 2;
        Reading next = new Reading(seconds * 1_000_000 + micros, sentNanos + half, half);
        Reading last = reading;
        if (last == null || next.errorNanos() <= last.errorNanos() || next.nanos() - last.nanos() > STALE_NANOS) {
            reading = next;
        }
    }

    public boolean known() {
        return reading != null;
    }

    /** A {@code TIME} answer ({seconds, microseconds}) to a call sent at {@code sentNanos}, received at {@code receivedNanos}. */
    public void observe(long sentNanos, List<String> time, long receivedNanos) {
        observe(sentNanos, Long.parseLong(time.get(0)), Long.parseLong(time.get(1)), receivedNanos);
    }

    /** Redis's time now, in ms since the epoch; the clock must be {@link #known()}. */
    public long nowMillis() {
        Reading r = reading;
        return (r.redisMicros() + (System.nanoTime() - r.nanos()) / 1000) / 1000;
    }
}
