package io.ticketrush.sale;

/**
 * The tickets this node may sell without asking anyone: its weight share plus the buffer.
 *
 * <p>Changes happen under the seller's lock; the fields are volatile so the cheap
 * "anything left?" check can run without it.
 */
public final class LocalStock {
    private volatile int initialQuota;
    private volatile int quota;
    private volatile int sold;

    public LocalStock(int quota) {
        if (quota < 0) {
            throw new IllegalArgumentException("local stock must be >= 0, was " + quota);
        }
        this.initialQuota = quota;
        this.quota = quota;
    }

    /** The share the stock started with: what a refill from the global stock grants at most. */
    public int initialQuota() {
        return initialQuota;
    }

    /** Lock-free: true while this node may still sell. */
    public boolean hasStock() {
        return sold < quota;
    }

    /** Takes one ticket if any is left; a stock of N sells exactly N. Caller holds the lock. */
    public boolean tryTake() {
        if (sold < quota) {
            sold++;
            return true;
        }
        return false;
    }

    /** Returns a ticket taken by {@link #tryTake()} whose global step failed. Caller holds the lock. */
    public void giveBack() {
        if (sold == 0) {
            throw new IllegalStateException("nothing to give back");
        }
        sold--;
    }

    /**
     * Ends local selling at what has been sold: the global stock is gone, so further requests
     * are answered from memory. Caller holds the lock.
     */
    public void closeAtSold() {
        quota = sold;
    }

    /** Allows {@code more} tickets beyond the current quota (a refill from the global stock). Caller holds the lock. */
    public void grant(int more) {
        if (more < 0) {
            throw new IllegalArgumentException("cannot grant " + more + " tickets");
        }
        quota = (int) Math.min(Integer.MAX_VALUE, (long) quota + more);
    }

    /** Starts afresh with {@code quota} tickets and none sold. Caller holds the lock. */
    public void reset(int quota) {
        if (quota < 0) {
            throw new IllegalArgumentException("local stock must be >= 0, was " + quota);
        }
        this.sold = 0;
        this.initialQuota = quota;
        this.quota = quota;
    }

    public int sold() {
        return sold;
    }

    public int quota() {
        return quota;
    }

    public int remaining() {
        return Math.max(0, quota - sold);
    }
}
