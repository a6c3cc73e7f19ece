package io.ticketrush.redis.connect;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Fails fast while Redis is down instead of making every buyer wait for a timeout.
 *
 * <p>Closed: calls go through; {@code failuresToOpen} failures in a row open it. Open: calls are
 * refused at once for {@code openMillis}, then one call at a time is let through as a probe;
 * a successful probe closes it, a failed one keeps it open for another period.
 */
public final class CircuitBreaker {
    private final int failuresToOpen;
    private final long openNanos;
    private final LongSupplier clock;
    private final AtomicInteger failures = new AtomicInteger();
    /** When the breaker may next let a probe through; 0 while closed. */
    private final AtomicLong openUntil = new AtomicLong();

    public CircuitBreaker(int failuresToOpen, long openMillis, LongSupplier nanoClock) {
        if (failuresToOpen < 1 || openMillis < 1) {
            throw new IllegalArgumentException("failuresToOpen and openMillis must be >= 1");
        }
        this.failuresToOpen = failuresToOpen;
        this.openNanos = openMillis * 1_000_000;
        this.clock = nanoClock;
    }

    /** A new breaker, closed, with the same settings (one per Redis Cluster master). */
    CircuitBreaker sibling() {
        return new CircuitBreaker(failuresToOpen, openNanos / 1_000_000, clock);
    }

    /** True if a call may go ahead now (closed, or open and this caller is the probe). */
    public boolean allow() {
        long until = openUntil.get();
        if (until == 0) {
            return true;
        }
        long now = clock.getAsLong();
        // one caller wins the probe; the others keep failing fast until it reports back
        return now - until >= 0 && openUntil.compareAndSet(until, now + openNanos);
    }

    public void onSuccess() {
        failures.set(0);
        openUntil.set(0);
    }

    public void onFailure() {
        if (failures.incrementAndGet() >= failuresToOpen) {
            long now = clock.getAsLong();
            openUntil.updateAndGet(until -> until == 0 || now - until >= 0 ? now + openNanos : until);
        }
    }

    public boolean isOpen() {
        return openUntil.get() != 0;
    }
}
