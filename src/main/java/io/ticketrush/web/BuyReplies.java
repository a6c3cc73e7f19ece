package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Purchase;

/**
 * The bodies of {@code /buy/ticket}'s answers, in the article's shape:
 * {@code {"code":1,"msg":"got a ticket","data":{"node":..,"localSales":..,...}}}, -1 for sold out.
 *
 * <p>Once the stock is gone, every answer is the same "sold out" (same node, same local sales):
 * its bytes are written once and given to every loser after it while nothing changes.
 */
final class BuyReplies {
    /** The last sold-out answer and what it was written for. */
    private record SoldOut(int node, int localSales, Json.Raw answer) {
    }

    private volatile SoldOut soldOut;

    /** The body for what {@code buyer} got on {@code node}: a map, or raw JSON bytes. */
    Object body(Purchase purchase, Buyer buyer, int node) {
        return switch (purchase.outcome()) {
            case TICKET -> Json.body(Json.OK, "got a ticket", order(node, buyer, purchase, false));
            case EXISTING -> Json.body(Json.OK, "you already have a ticket", order(node, buyer, purchase, true));
            case SOLD_OUT -> soldOut(node, purchase.localSales());
            case EXPIRED -> Json.body(Json.EXPIRED, "the order of this request expired unpaid; its ticket went back on"
                    + " sale", order(node, buyer, purchase, true));
        };
    }

    private Json.Raw soldOut(int node, int localSales) {
        SoldOut last = soldOut;
        if (last == null || last.node() != node || last.localSales() != localSales) {
            last = new SoldOut(node, localSales, Json.Raw.of(Json.body(Json.SOLD_OUT, "sold out", data(node,
                    localSales))));
            soldOut = last;
        }
        return last.answer();
    }

    private static Map<String, Object> data(int node, int localSales) {
        Map<String, Object> data = new LinkedHashMap<>(8);
        data.put("node", node);
        data.put("localSales", localSales);
        return data;
    }

    private static Map<String, Object> order(int node, Buyer buyer, Purchase purchase, boolean existing) {
        Map<String, Object> data = data(node, purchase.localSales());
        data.put("orderId", purchase.orderId());
        data.put("user", buyer.user());
        data.put("deadline", purchase.deadline());
        data.put("existing", existing);
        return data;
    }
}
