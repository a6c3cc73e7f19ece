package io.ticketrush.stats;

/** Where the nodes share their reports, and where the dashboard reads the whole sale (Redis). */
public interface StatsStore {

    /**
     * What a node reads back when it publishes: for its gauges, so that a scrape never reads Redis.
     *
     * @param writerLag order events the writers had not written when one last counted them (null:
     *     never counted)
     * @param writerLagAt when that was (ms; null: never)
     */
    record Readings(Long globalRemaining, long deadLetters, Long writerLag, Long writerLagAt) {
    }

    /**
     * Writes this node's report under its port and, in the same round trip, reads the tickets the
     * default sale has left (null when there is none), the order writer's dead letters and its lag.
     */
    Readings publish(int port, String report);

    /**
     * Every node's last report, and the stock and the books of sale {@code sale} (null: of every
     * sale, added up), read in one round trip.
     */
    ClusterView.Raw read(String sale);
}
