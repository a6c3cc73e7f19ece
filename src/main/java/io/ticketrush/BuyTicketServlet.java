package io.ticketrush;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET|POST /buy/ticket[?user=ID[&rid=REQUEST]]}: one ticket per request, local stock
 * first, then the global stock. With a user, at most the configured number of tickets, and a
 * retry answers the order already made.
 */
public final class BuyTicketServlet extends JsonServlet {
    private static final String PURCHASE = BuyTicketServlet.class.getName() + ".purchase";
    private static final String BUYER = BuyTicketServlet.class.getName() + ".buyer";

    public BuyTicketServlet() {
        super("GET", "POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Buyer buyer = buyer(request);
        request.setAttribute(BUYER, buyer);
        TicketSeller.Purchase purchase = app().seller().buy(buyer, app().nodePort(request));
        request.setAttribute(PURCHASE, purchase);
        Map<String, Object> data = new LinkedHashMap<>(8);
        data.put("node", app().nodePort(request));
        data.put("localSales", purchase.localSales());
        return switch (purchase.result()) {
            case TICKET -> Reply.ok(Json.body(Json.OK, "got a ticket", order(data, buyer, purchase, false)));
            case EXISTING -> Reply.ok(Json.body(Json.OK, "you already have a ticket",
                    order(data, buyer, purchase, true)));
            case SOLD_OUT -> Reply.ok(soldOut(data));
        };
    }

    /** A node's last sold-out answer, whose bytes every loser after it gets again while nothing changes. */
    private record SoldOut(Object node, Object localSales, Json.Raw answer) {
    }

    private transient volatile SoldOut soldOut;

    /**
     * Once the stock is gone, every answer is the same "sold out" (same node, same local sales):
     * serialised once, not per loser.
     */
    private Json.Raw soldOut(Map<String, Object> data) {
        SoldOut last = soldOut;
        if (last == null || !last.node().equals(data.get("node")) || !last.localSales().equals(data.get("localSales"))) {
            last = new SoldOut(data.get("node"), data.get("localSales"),
                    Json.Raw.of(Json.body(Json.SOLD_OUT, "sold out", data)));
            soldOut = last;
        }
        return last.answer();
    }

    private Buyer buyer(HttpServletRequest request) {
        String user = param(request, "user");
        String requestId = param(request, "rid");
        if (requestId == null) {
            requestId = request.getHeader("X-Request-Id");
        }
        if (user == null && !app().config().anonymousAllowed()) {
            throw new BadRequestException("user is required");
        }
        return new Buyer(user, requestId);
    }

    private static Map<String, Object> order(Map<String, Object> data, Buyer buyer, TicketSeller.Purchase purchase,
            boolean existing) {
        data.put("orderId", purchase.orderId());
        data.put("user", buyer.user());
        data.put("deadline", purchase.deadline());
        data.put("existing", existing);
        return data;
    }

    /**
     * One stat.log line per request, whatever its outcome:
     * {@code port:3001,status:200,result:1,localSales:145,user:alice,order:17,ts:...}.
     */
    @Override
    protected void answered(HttpServletRequest request, Reply reply) {
        Object code = reply.body() instanceof Map<?, ?> body ? body.get("code")
                : reply.body() instanceof Json.Raw raw ? raw.code() : Json.ERROR;
        TicketSeller.Purchase purchase = (TicketSeller.Purchase) request.getAttribute(PURCHASE);
        Buyer buyer = (Buyer) request.getAttribute(BUYER);
        app().stats().answered(reply.status(), purchase);
        StringBuilder line = new StringBuilder(96).append("port:").append(app().nodePort(request))
                .append(",status:").append(reply.status()).append(",result:").append(code)
                .append(",localSales:").append(purchase != null ? purchase.localSales() : app().seller().local().sold());
        if (buyer != null && buyer.user() != null) {
            line.append(",user:").append(buyer.user());
        }
        if (purchase != null && purchase.orderId() != null) {
            line.append(",order:").append(purchase.orderId());
            if (purchase.result() == TicketSeller.Purchase.Result.EXISTING) {
                line.append(",existing:1");
            }
        }
        app().statLog().append(line.append(",ts:").append(System.currentTimeMillis()).toString());
    }
}
