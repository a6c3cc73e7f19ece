package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Purchase;
import io.ticketrush.sale.Sale;

/**
 * The bodies of {@code /buy/ticket}'s answers, in the article's shape:
 * {@code {"code":1,"msg":"got a ticket","data":{"node":..,"localSales":..,"sale":..,...}}}; -1 sold
 * out, -2 not open yet, -3 closed, -4 the request's order expired.
 *
 * <p>Once a sale's stock is gone, every answer for it is the same "sold out" (same node, same local
 * sales): its bytes are written once and given to every loser after it while nothing changes.
 */
final class BuyReplies {
    /** The last sold-out answer of a sale and what it was written for. */
    private record SoldOut(int node, int localSales, Json.Raw answer) {
    }

    /** Why a pass that the node found valid did not buy: Redis knows it lapsed or was spent. */
    static final String NOT_ADMITTED = "your pass does not buy: it lapsed unused, or bought already";

    private final Map<String, SoldOut> soldOut = new ConcurrentHashMap<>();

    /**
     * The body for what {@code buyer} got from {@code sale} on {@code node}: a map, or raw JSON bytes.
     * {@code orderId} is the purchase's order as the buyer sees it (public in a sale with signed buyers).
     */
    Object body(Purchase purchase, String orderId, Buyer buyer, int node, Sale sale) {
        return switch (purchase.outcome()) {
            case TICKET -> Json.body(Json.OK, "got a ticket", order(node, sale, buyer, purchase, orderId, false));
            case EXISTING -> Json.body(Json.OK, "you already have a ticket", order(node, sale, buyer, purchase, orderId,
                    true));
            case SOLD_OUT -> soldOut(node, sale, purchase.localSales());
            case EXPIRED -> Json.body(Json.EXPIRED, "the order of this request expired unpaid; its ticket went back on"
                    + " sale", order(node, sale, buyer, purchase, orderId, true));
            case NOT_OPEN -> Json.body(Json.NOT_OPEN, "not open yet", when(data(node, sale, purchase.localSales()),
                    "opensAt", sale.opensAt(), sale));
            case CLOSED -> Json.body(Json.CLOSED, "closed", when(data(node, sale, purchase.localSales()), "closesAt",
                    sale.closesAt(), sale));
            // answered 403 by the servlet (BuyTicketServlet), as a buy without a valid pass is
            case NOT_ADMITTED -> Json.error("not_admitted", NOT_ADMITTED);
        };
    }

    /** Lets go of sale {@code sale}'s sold-out answer (the sale was archived). */
    void forget(String sale) {
        soldOut.remove(sale);
    }

    /** Whether a sold-out answer of sale {@code sale} is kept. */
    boolean holds(String sale) {
        return soldOut.containsKey(sale);
    }

    private Json.Raw soldOut(int node, Sale sale, int localSales) {
        SoldOut last = soldOut.get(sale.id());
        if (last == null || last.node() != node || last.localSales() != localSales) {
            last = new SoldOut(node, localSales, Json.Raw.of(Json.body(Json.SOLD_OUT, "sold out",
                    data(node, sale, localSales))));
            soldOut.put(sale.id(), last);
        }
        return last.answer();
    }

    private static Map<String, Object> data(int node, Sale sale, int localSales) {
        Map<String, Object> data = new LinkedHashMap<>(10);
        data.put("node", node);
        data.put("localSales", localSales);
        data.put("sale", sale.id());
        return data;
    }

    private static Map<String, Object> when(Map<String, Object> data, String name, long at, Sale sale) {
        data.put(name, at);
        data.put("opensAt", sale.opensAt());
        data.put("closesAt", sale.closesAt() == 0 ? null : sale.closesAt());
        return data;
    }

    private static Map<String, Object> order(int node, Sale sale, Buyer buyer, Purchase purchase, String orderId,
            boolean existing) {
        Map<String, Object> data = data(node, sale, purchase.localSales());
        data.put("orderId", orderId);
        data.put("user", buyer.user());
        data.put("deadline", purchase.deadline());
        data.put("existing", existing);
        return data;
    }
}
