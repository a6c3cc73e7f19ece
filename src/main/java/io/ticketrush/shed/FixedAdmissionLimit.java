package io.ticketrush.shed;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

import io.ticketrush.sale.Admission.Permit;

/**
 * At most {@code limit} buyers waiting for Redis at once, whatever the load: a semaphore taken
 * without waiting. The line's own deadline (the lock wait) still answers busy to a buyer no batch
 * took in time. {@link #NONE} admits everyone (counting them): no shedding.
 */
final class FixedAdmissionLimit {
    /** A bound nobody reaches: {@code rush.shed.limit=0}. */
    static final int NONE = Integer.MAX_VALUE;

    private final int limit;
    private final Semaphore permits;

    FixedAdmissionLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("an admission limit admits at least one buyer, not " + limit);
        }
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    /** A permit, or null when none is left: the buyer is shed. */
    Permit acquire() {
        if (!permits.tryAcquire()) {
            return null;
        }
        AtomicBoolean given = new AtomicBoolean();
        return () -> {
            if (given.compareAndSet(false, true)) {
                permits.release();
            }
        };
    }

    /** Admitted buyers who have not given their permit back. */
    int inFlight() {
        return limit - permits.availablePermits();
    }

    @Override
    public String toString() {
        return limit == NONE ? "no bound (rush.shed.limit=0)" : "at most " + limit + " (rush.shed.limit)";
    }
}
