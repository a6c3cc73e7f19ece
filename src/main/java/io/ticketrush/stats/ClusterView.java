package io.ticketrush.stats;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The whole sale as the dashboard shows it: the global stock, the orders, and every node's last
 * {@link NodeReport}, read in one pipelined Redis round trip. A request reaches one node, but the
 * reports of all of them are in Redis, so any node can answer for the cluster.
 */
public final class ClusterView {
    /** A node that has not reported for this long is down (it reports every 500 ms). */
    public static final long DOWN_AFTER_MILLIS = 2000;
    /** A node silent for this long is no longer listed (a port of an earlier run). */
    public static final long FORGET_AFTER_MILLIS = TimeUnit.MINUTES.toMillis(10);

    private final StatsStore store;
    private final Supplier<RedisMemory> memory;

    /** {@code memory}: Redis's memory against its limit as this node last read it (no Redis call of its own). */
    public ClusterView(StatsStore store, Supplier<RedisMemory> memory) {
        this.store = store;
        this.memory = memory;
    }

    /**
     * What the store holds: every node's report (JSON by port), the stock ({@code total} null
     * when there is no sale) and the order writer's counters ({@code lastWrite} null: never;
     * {@code deadLetters}: stream entries it set aside unwritten).
     */
    public record Raw(Map<String, String> reports, Long total, long sold, long paid, long expired, long inDatabase,
            Long lastWrite, long deadLetters) {
    }

    /**
     * The dashboard's data for sale {@code sale} (null: every sale, added up) as of {@code now}
     * (ms since the epoch, this node's clock).
     */
    public Map<String, Object> read(String sale, long now) {
        Map<String, Object> data = view(store.read(sale), now);
        data.put("sale", sale);
        data.put("redisMemory", memory.get().toMap());
        return data;
    }

    /** Every node's last report as the store holds it (one read of the store), reports that cannot be read left out. */
    public List<NodeReport> reports() {
        List<NodeReport> reports = new ArrayList<>();
        store.read(null).reports().values().forEach(json -> {
            NodeReport report = NodeReport.parse(json);
            if (report != null) {
                reports.add(report);
            }
        });
        return reports;
    }

    public static Map<String, Object> view(Raw raw, long now) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("now", now);
        data.put("downAfterMs", DOWN_AFTER_MILLIS);

        long paid = raw.paid();
        long expired = raw.expired();
        long sold = raw.sold();
        if (raw.total() == null) {
            data.put("global", null);
            data.put("globalError", "no sale in Redis (./rush reset starts one)");
        } else {
            long total = raw.total();
            Map<String, Object> global = new LinkedHashMap<>();
            global.put("total", total);
            global.put("sold", sold);
            global.put("remaining", Math.max(0, total - sold));
            data.put("global", global);
        }
        Map<String, Object> orders = new LinkedHashMap<>();
        // sold counts pending and paid orders; an expired order gave its ticket back
        orders.put("pending", Math.max(0, sold - paid));
        orders.put("paid", paid);
        orders.put("expired", expired);
        orders.put("inDatabase", raw.inDatabase());
        orders.put("deadLetters", raw.deadLetters());
        orders.put("writerLastWrite", raw.lastWrite());
        data.put("orders", orders);

        List<NodeReport> reports = new ArrayList<>();
        raw.reports().values().forEach(json -> {
            NodeReport report = NodeReport.parse(json);
            if (report != null && now - report.ts() <= FORGET_AFTER_MILLIS) {
                reports.add(report);
            }
        });
        reports.sort(Comparator.comparingInt(NodeReport::port));
        long weights = reports.stream().mapToLong(NodeReport::weight).sum();
        long requests = reports.stream().mapToLong(NodeReport::requests).sum();
        List<Map<String, Object>> nodes = new ArrayList<>();
        Map<String, Object> totals = new LinkedHashMap<>();
        long tickets = 0;
        int up = 0;
        double rps = 0;
        double p50 = 0;
        double p99 = 0;
        for (NodeReport report : reports) {
            boolean isUp = !report.stopped() && now - report.ts() <= DOWN_AFTER_MILLIS;
            Map<String, Object> node = new LinkedHashMap<>();
            node.put("port", report.port());
            node.put("up", isUp);
            node.put("ageMs", Math.max(0, now - report.ts()));
            node.put("weight", report.weight());
            node.put("expectedShare", weights == 0 ? 0 : (double) report.weight() / weights);
            node.put("share", requests == 0 ? 0 : (double) report.requests() / requests);
            node.put("quota", report.quota());
            node.put("localSold", report.localSold());
            node.put("localLeft", report.localLeft());
            node.put("requests", report.requests());
            node.put("tickets", report.tickets());
            node.put("existing", report.existing());
            node.put("soldOut", report.soldOut());
            node.put("busy", report.busy());
            node.put("badRequests", report.badRequests());
            node.put("errors", report.errors());
            // a down node's last window is history, not current load
            node.put("rps", isUp ? report.rps() : 0);
            node.put("p50Ms", isUp ? report.p50Ms() : 0);
            node.put("p99Ms", isUp ? report.p99Ms() : 0);
            node.put("sellCapacity", report.sellCapacity());
            node.put("started", report.started());
            nodes.add(node);
            tickets += report.tickets();
            if (isUp) {
                up++;
                rps += report.rps();
                p50 = Math.max(p50, report.p50Ms());
                p99 = Math.max(p99, report.p99Ms());
            }
        }
        data.put("nodes", nodes);
        totals.put("nodesUp", up);
        totals.put("nodes", nodes.size());
        totals.put("requests", requests);
        totals.put("tickets", tickets);
        totals.put("rps", Math.round(rps * 10) / 10.0);
        // percentiles do not add up across nodes: the slowest node's are the honest summary
        totals.put("p50Ms", p50);
        totals.put("p99Ms", p99);
        data.put("totals", totals);
        return data;
    }
}
