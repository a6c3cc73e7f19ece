package io.ticketrush.stats;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.Outcome;

/**
 * What one node tells the cluster about itself, every {@link StatsPublisher#PERIOD_MILLIS} ms:
 * one JSON value per node in the Redis hash {@link StatsStore}, field = the node's port.
 * Counts are since the node started; {@code rps} and the latencies cover the last period.
 *
 * @param ts when the node wrote it (its clock, ms since the epoch)
 * @param stopped true in the last report of a node that shut down cleanly
 * @param sellCapacity the most tickets a second it sold in a window with p99 within 500 ms
 *     ({@link NodeStats#sellCapacity()}); 0: not measured (or a node of an earlier version)
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
        boolean stopped,
        double sellCapacity) {

    /** The node's report as of now: its counters, its local stock, the window just ended. */
    static NodeReport of(NodeStats stats, NodeStats.Window window, long started, long now, boolean stopped) {
        LocalStock local = stats.mainStock();
        long tickets = stats.count(Outcome.TICKET);
        long existing = stats.count(Outcome.EXISTING);
        long soldOut = stats.count(Outcome.SOLD_OUT);
        long busy = stats.count(NodeStats.Failure.BUSY);
        long badRequests = stats.count(NodeStats.Failure.BAD_REQUEST);
        long errors = stats.count(NodeStats.Failure.ERROR);
        return new NodeReport(stats.port(), stats.settings().nodeWeight(), local.quota(), local.sold(),
                local.remaining(), stats.requests(), tickets, existing,
                soldOut, busy, badRequests, errors, round(window.requestsPerSecond()),
                round(window.p50Millis()), round(window.p99Millis()), started, now, stopped, round(stats.sellCapacity()));
    }

    private static final Gson GSON = new Gson();

    public String toJson() {
        return GSON.toJson(this);
    }

    /** A report as a node wrote it; null if it cannot be read (a node of another version). */
    public static NodeReport parse(String json) {
        try {
            return GSON.fromJson(json, NodeReport.class);
        } catch (JsonParseException e) {
            return null;
        }
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
