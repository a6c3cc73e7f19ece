package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.sale.TicketSeller;
import io.ticketrush.settings.NodeSettings;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /stock}: this node's local stock and the global stock ({@code null} with the reason while
 * Redis is unreachable). The global stock is read on the operators' own Redis connections, at most
 * once a second per sale whatever the load: it may be up to a second old.
 */
public final class StockServlet extends JsonServlet {
    private transient RecentReads<String, GlobalStock.Snapshot> global;

    public StockServlet() {
        super("GET");
    }

    @Override
    public void init() {
        super.init();
        global = new RecentReads<>(TimeUnit.SECONDS.toNanos(1), System::nanoTime,
                id -> app().redis().operatorStock(app().sales().sale(id)));
        // an archived sale's last reading goes with it (docs/archive.md)
        app().sales().onForget(global::forget);
    }

    /** Whether this servlet keeps a reading of sale {@code sale}'s global stock. */
    boolean holds(String sale) {
        return global.holds(sale);
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        NodeSettings settings = app().settings();
        Sale sale = app().sales().sale(sale(request));
        // before anyone bought from the sale here, its local stock is not taken yet: what it will be
        LocalStock local = app().sales().existingSeller(sale.id()).map(TicketSeller::local)
                .orElseGet(() -> new LocalStock(settings.localStockFor(sale)));
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("port", app().nodePort(request));
        node.put("weight", settings.nodeWeight());
        node.put("quota", local.quota());
        node.put("sold", local.sold());
        node.put("remaining", local.remaining());
        app().sales().existingSeller(sale.id()).map(TicketSeller::winners).ifPresent(winners -> {
            // what this node keeps of the sale's orders to answer losers from memory
            Map<String, Object> kept = new LinkedHashMap<>();
            kept.put("followed", winners.following());
            kept.put("caughtUp", winners.caughtUpOnce());
            kept.put("remembered", winners.size());
            kept.put("bytes", winners.bytes());
            node.put("orders", kept);
        });
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("sale", sale.id());
        data.put("local", node);
        try {
            GlobalStock.Snapshot stock = global.get(sale.id());
            Map<String, Object> total = new LinkedHashMap<>();
            total.put("total", stock.total());
            total.put("sold", stock.sold());
            total.put("remaining", stock.remaining());
            data.put("global", total);
        } catch (StockUnavailableException e) {
            // the node's own view is still worth showing while Redis is away
            data.put("global", null);
            data.put("globalError", e.getMessage());
        }
        return Reply.ok(Json.body(Json.OK, "stock", data));
    }
}
