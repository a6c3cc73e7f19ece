package io.ticketrush.stats;

/** Where the nodes share their reports, and where the dashboard reads the whole sale (Redis). */
public interface StatsStore {

    /**
     * Writes this node's report under its port and, in the same round trip, reads the tickets the
     * global stock has left (null when there is no sale).
     */
    Long publish(int port, String report);

    /** Every node's last report, the stock and the books, read in one round trip. */
    ClusterView.Raw read();
}
