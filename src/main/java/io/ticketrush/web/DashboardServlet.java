package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.ticketrush.sale.Sale;

import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /dashboard/data}: the whole cluster for the dashboard page, which polls it about
 * once a second: one pipelined Redis round trip on the operators' own connections (see
 * {@link io.ticketrush.stats.ClusterView}), at most once a second per sale (or "all") whatever
 * the load, so an answer may be up to a second old ({@code now} says when it was read).
 */
public final class DashboardServlet extends JsonServlet {
    /** "every sale, added up": a key of its own (a sale id cannot be empty). */
    private static final String ALL = "";

    private transient RecentReads<String, Map<String, Object>> cluster;

    public DashboardServlet() {
        super("GET");
    }

    @Override
    public void init() {
        super.init();
        cluster = new RecentReads<>(TimeUnit.SECONDS.toNanos(1), System::nanoTime,
                of -> app().cluster().read(ALL.equals(of) ? null : of, System.currentTimeMillis()));
        // an archived sale's last view goes with it (docs/archive.md)
        app().sales().onForget(cluster::forget);
    }

    /** Whether this servlet keeps a view of sale {@code sale}. */
    boolean holds(String sale) {
        return cluster.holds(sale);
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        app().stats().seenOn(request.getLocalPort());
        String sale = param(request, "sale");
        // the default sale unless another is picked, or "all" of them added up
        String of = sale == null ? Sale.DEFAULT : "all".equals(sale) ? null : app().sales().sale(Sale.requireId(
                "sale", sale)).id();
        // a copy: the cached answer is shared by every caller of this second
        Map<String, Object> data = new LinkedHashMap<>(cluster.get(of == null ? ALL : of));
        data.put("answeredBy", app().nodePort(request));
        return Reply.ok(Json.body(Json.OK, "cluster", data));
    }
}
