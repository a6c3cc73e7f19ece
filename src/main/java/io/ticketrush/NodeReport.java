package io.ticketrush;

/**
 * What one node tells the cluster about itself, every {@link StatsPublisher#PERIOD_MILLIS} ms:
 * one JSON value per node in the Redis hash {@link Keys#nodeStats()}, field = the node's port.
 * Counts are since the node started; {@code rps} and the latencies cover the last period.
 *
 * @param ts when the node wrote it (its clock, ms since the epoch)
 * @param stopped true in the last report of a node that shut down cleanly
 */
public record NodeReport(
        int port,
        int weight,
        int quota,
        int localSold,
        int localLeft,
        long requests,
        long tickets,
        long existing,
        long soldOut,
        long busy,
        long badRequests,
        long errors,
        double rps,
        double p50Ms,
        double p99Ms,
        long started,
        long ts,
        boolean stopped) {

    /** The node's report as of now: its counters, its local stock, the window just ended. */
    static NodeReport of(NodeStats stats, NodeStats.Window window, long started, long now, boolean stopped) {
        LocalStock local = stats.seller().local();
        long[] counts = new long[NodeStats.Result.values().length];
        long requests = 0;
        for (NodeStats.Result result : NodeStats.Result.values()) {
            counts[result.ordinal()] = stats.count(result);
            requests += counts[result.ordinal()];
        }
        return new NodeReport(stats.port(), stats.config().nodeWeight(), local.quota(), local.sold(),
                local.remaining(), requests, counts[NodeStats.Result.TICKET.ordinal()],
                counts[NodeStats.Result.EXISTING.ordinal()], counts[NodeStats.Result.SOLD_OUT.ordinal()],
                counts[NodeStats.Result.BUSY.ordinal()], counts[NodeStats.Result.BAD_REQUEST.ordinal()],
                counts[NodeStats.Result.ERROR.ordinal()], round(window.requestsPerSecond()),
                round(window.p50Millis()), round(window.p99Millis()), started, now, stopped);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
