package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;

import io.ticketrush.Config;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.StockUnavailableException;
import jakarta.servlet.http.HttpServletRequest;

/** {@code GET /stock}: this node's local stock and the global stock ({@code null} with the reason while Redis is unreachable). */
public final class StockServlet extends JsonServlet {
    public StockServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Config config = app().config();
        LocalStock local = app().seller().local();
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("port", app().nodePort(request));
        node.put("weight", config.nodeWeight());
        node.put("quota", local.quota());
        node.put("sold", local.sold());
        node.put("remaining", local.remaining());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("local", node);
        try {
            GlobalStock.Snapshot global = app().seller().global().snapshot();
            Map<String, Object> total = new LinkedHashMap<>();
            total.put("total", global.total());
            total.put("sold", global.sold());
            total.put("remaining", global.remaining());
            data.put("global", total);
        } catch (StockUnavailableException e) {
            // the node's own view is still worth showing while Redis is away
            data.put("global", null);
            data.put("globalError", e.getMessage());
        }
        return Reply.ok(Json.body(Json.OK, "stock", data));
    }
}
