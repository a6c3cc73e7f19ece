package io.ticketrush.web;

import io.ticketrush.sale.BadRequestException;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Purchase;
import io.ticketrush.statlog.StatLine;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET|POST /buy/ticket[?sale=ID][&user=ID][&rid=REQUEST]}: one ticket of the sale (the
 * article's when none is named) per request, local stock first, then the global stock. With a
 * user, at most the sale's limit of tickets, and a retry answers the order already made.
 */
public final class BuyTicketServlet extends JsonServlet {
    private static final String PURCHASE = BuyTicketServlet.class.getName() + ".purchase";
    private static final String BUYER = BuyTicketServlet.class.getName() + ".buyer";
    private static final String SALE = BuyTicketServlet.class.getName() + ".sale";

    private final transient BuyReplies replies = new BuyReplies();

    public BuyTicketServlet() {
        super("GET", "POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String sale = sale(request);
        request.setAttribute(SALE, sale);
        Buyer buyer = buyer(request);
        request.setAttribute(BUYER, buyer);
        int node = app().nodePort(request);
        Purchase purchase = app().sales().buy(sale, buyer, node);
        request.setAttribute(PURCHASE, purchase);
        return Reply.ok(replies.body(purchase, buyer, node, app().sales().sale(sale)));
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

    /** One stat.log line per request, whatever its outcome. */
    @Override
    protected void answered(HttpServletRequest request, Reply reply) {
        Purchase purchase = (Purchase) request.getAttribute(PURCHASE);
        Buyer buyer = (Buyer) request.getAttribute(BUYER);
        String sale = (String) request.getAttribute(SALE);
        app().stats().answered(reply.status(), purchase);
        app().statLog().append(new StatLine(app().nodePort(request), reply.status(), Json.code(reply.body()),
                purchase != null ? purchase.localSales() : localSales(sale), sale,
                buyer != null ? buyer.user() : null, purchase != null ? purchase.orderId() : null,
                purchase != null && purchase.outcome() == Outcome.EXISTING, System.currentTimeMillis()));
    }

    /** The node's sales of {@code sale} so far, for a request that failed before its purchase. */
    private int localSales(String sale) {
        return sale == null ? 0 : app().sales().existingSeller(sale).map(s -> s.local().sold()).orElse(0);
    }
}
