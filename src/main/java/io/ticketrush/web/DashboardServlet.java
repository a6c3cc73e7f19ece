package io.ticketrush.web;

import java.util.Map;

import io.ticketrush.sale.Sale;

import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /dashboard/data}: the whole cluster for the dashboard page, which polls it about
 * once a second: one pipelined Redis round trip, nothing else (see {@link ClusterView}).
 */
public final class DashboardServlet extends JsonServlet {
    public DashboardServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        app().stats().seenOn(request.getLocalPort());
        String sale = param(request, "sale");
        // the default sale unless another is picked, or "all" of them added up
        String of = sale == null ? Sale.DEFAULT : "all".equals(sale) ? null : app().sales().sale(Sale.requireId(
                "sale", sale)).id();
        Map<String, Object> data = app().cluster().read(of, System.currentTimeMillis());
        data.put("answeredBy", app().nodePort(request));
        return Reply.ok(Json.body(Json.OK, "cluster", data));
    }
}
