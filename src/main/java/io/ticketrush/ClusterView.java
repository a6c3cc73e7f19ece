package io.ticketrush;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.google.gson.JsonParseException;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

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

    private static final String PAID = "ticket_paid_nums";
    private static final String EXPIRED = "ticket_expired_nums";

    private final RedisCalls redis;
    private final Keys keys;

    public ClusterView(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /** What Redis holds, read in one round trip. */
    record Raw(Map<String, String> reports, List<String> stock, List<String> writer) {
    }

    /** The dashboard's data as of {@code now} (ms since the epoch, this node's clock). */
    public Map<String, Object> read(long now) {
        Raw raw = redis.call(jedis -> {
            Pipeline pipeline = jedis.pipelined();
            Response<Map<String, String>> reports = pipeline.hgetAll(keys.nodeStats());
            Response<List<String>> stock = pipeline.hmget(keys.stock(), RedisGlobalStock.TOTAL,
                    RedisGlobalStock.SOLD, PAID, EXPIRED);
            Response<List<String>> writer = pipeline.hmget(keys.writerStats(), "orders", "lastWrite");
            pipeline.sync();
            return new Raw(reports.get(), stock.get(), writer.get());
        });
        return view(raw, now);
    }

    static Map<String, Object> view(Raw raw, long now) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("now", now);
        data.put("downAfterMs", DOWN_AFTER_MILLIS);

        long paid = number(raw.stock().get(2));
        long expired = number(raw.stock().get(3));
        long sold = number(raw.stock().get(1));
        if (raw.stock().get(0) == null) {
            data.put("global", null);
            data.put("globalError", "no sale in Redis (./rush reset starts one)");
        } else {
            long total = number(raw.stock().get(0));
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
        orders.put("inDatabase", number(raw.writer().get(0)));
        orders.put("writerLastWrite", raw.writer().get(1) == null ? null : number(raw.writer().get(1)));
        data.put("orders", orders);

        List<NodeReport> reports = new ArrayList<>();
        raw.reports().values().forEach(json -> {
            NodeReport report = parse(json);
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

    private static NodeReport parse(String json) {
        try {
            return Json.fromJson(json, NodeReport.class);
        } catch (JsonParseException e) {
            return null;
        }
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }
}
