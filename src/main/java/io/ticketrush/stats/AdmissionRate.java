package io.ticketrush.stats;

import java.util.Collection;
import java.util.OptionalInt;

/**
 * A queued sale's admission rate derived from the cluster's measured capacity ({@code queue=auto},
 * docs/queue.md, "The rate"): half the tickets a second the nodes up have shown they sell while
 * answering in time, each node's {@link NodeStats#sellCapacity()} as its last report says, added up.
 * Half: an admitted buyer costs more than its buy (its polls, its payment's two Redis calls, a buy
 * sent again), and other sales may sell meanwhile.
 */
public final class AdmissionRate {
    /** The share of the measured capacity a room admits. */
    public static final double SHARE = 0.5;
    /** The most a sale admits a second (as {@code queue=RATE} takes). */
    public static final int MAX = 1_000_000;

    private AdmissionRate() {
    }

    /**
     * The rate from the nodes' last reports as of {@code now} (ms, this node's clock): floor(SHARE x
     * the sum of the sell capacities of the nodes up (not stopped, reported within
     * {@link ClusterView#DOWN_AFTER_MILLIS})), at least 1, at most {@link #MAX}; empty when no node
     * up has measured one (nothing sold in time yet: nothing to derive from).
     */
    public static OptionalInt derive(Collection<NodeReport> reports, long now) {
        double capacity = 0;
        for (NodeReport report : reports) {
            if (!report.stopped() && now - report.ts() <= ClusterView.DOWN_AFTER_MILLIS && report.sellCapacity() > 0) {
                capacity += report.sellCapacity();
            }
        }
        if (capacity <= 0) {
            return OptionalInt.empty();
        }
        return OptionalInt.of((int) Math.max(1, Math.min(MAX, Math.floor(SHARE * capacity))));
    }
}
