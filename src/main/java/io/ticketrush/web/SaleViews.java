package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;

import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.Standing;

/** A sale as the JSON answers show it: {@code /sales}, the admin endpoints, the buy page, the dashboard. */
final class SaleViews {
    private SaleViews() {
    }

    static Map<String, Object> view(Standing standing, long now) {
        Sale sale = standing.sale();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", sale.id());
        view.put("name", sale.name());
        view.put("total", sale.total());
        view.put("sold", standing.sold());
        view.put("remaining", standing.remaining());
        view.put("opensAt", sale.opensAt());
        view.put("closesAt", sale.closesAt() == 0 ? null : sale.closesAt());
        view.put("state", standing.state(now).name().toLowerCase());
        view.put("perUserLimit", sale.perUserLimit());
        view.put("payWithinSeconds", sale.payWithinMillis() / 1000);
        view.put("buyers", sale.buyers());
        // a queued sale's room (docs/queue.md): join it, wait, buy with the pass
        view.put("queued", sale.queued());
        view.put("admitPerSecond", sale.queueRate());
        view.put("powBits", sale.powBits());
        return view;
    }

    /** An archived sale (docs/archive.md): its last figures, state {@code archived}, and when it went. */
    static Map<String, Object> view(ArchivedSale archived) {
        Map<String, Object> view = view(new Standing(archived.sale(), archived.sold()), archived.sale().closesAt());
        view.put("state", "archived");
        view.put("paid", archived.paid());
        view.put("archivedAt", archived.archivedAt());
        return view;
    }
}
