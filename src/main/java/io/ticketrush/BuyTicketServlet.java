package io.ticketrush;

import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

/** {@code GET|POST /buy/ticket}: one ticket per request, local stock first, then the global stock. */
public final class BuyTicketServlet extends JsonServlet {
    private static final String PURCHASE = BuyTicketServlet.class.getName() + ".purchase";

    private transient RushApp app;

    public BuyTicketServlet() {
        super("GET", "POST");
    }

    @Override
    public void init() {
        app = RushApp.of(getServletContext());
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        TicketSeller.Purchase purchase = app.seller().buy();
        request.setAttribute(PURCHASE, purchase);
        Map<String, Object> data = new LinkedHashMap<>(4);
        data.put("node", nodePort(request));
        data.put("localSales", purchase.localSales());
        if (purchase.gotTicket()) {
            return Reply.ok(Json.body(Json.OK, "got a ticket", data));
        }
        return Reply.ok(Json.body(Json.SOLD_OUT, "sold out", data));
    }

    /** One stat.log line per request, whatever its outcome: {@code port:3001,status:200,result:1,localSales:145,ts:...}. */
    @Override
    protected void answered(HttpServletRequest request, Reply reply) {
        Object code = reply.body() instanceof Map<?, ?> body ? body.get("code") : Json.ERROR;
        TicketSeller.Purchase purchase = (TicketSeller.Purchase) request.getAttribute(PURCHASE);
        int localSales = purchase != null ? purchase.localSales() : app.seller().local().sold();
        app.statLog().append("port:" + nodePort(request) + ",status:" + reply.status() + ",result:" + code
                + ",localSales:" + localSales + ",ts:" + System.currentTimeMillis());
    }

    private int nodePort(HttpServletRequest request) {
        int port = app.config().nodePort();
        return port != 0 ? port : request.getLocalPort();
    }
}
