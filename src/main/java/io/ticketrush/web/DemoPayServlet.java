package io.ticketrush.web;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.google.gson.JsonParser;
import io.ticketrush.order.Payment;
import io.ticketrush.order.PaymentSignature;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The demo payment provider, on only with {@code rush.pay.demo} (else every path here is the 404 of
 * an unknown path): what a real provider's checkout does, without money.
 *
 * <ul>
 * <li>{@code GET /demo-pay/checkout?payment=ID}: the checkout page, Pay or Cancel;</li>
 * <li>{@code GET /demo-pay/payment?payment=ID}: the payment the page shows;</li>
 * <li>{@code POST /demo-pay/pay?payment=ID}: the money arrives: sends the provider's signed event
 *     {@code payment.succeeded} to the node, and answers with the node's answer to it (the page's
 *     Pay button, and scripts and tests without a page).</li>
 * </ul>
 *
 * <p>The event goes to the node's own {@code /pay/callback} over loopback HTTP, on the connector the
 * request came in on, not through an in-process call: so the demo takes the path a real provider
 * takes (the signed bytes on the wire, the same servlet, its body limit and its JSON errors), and a
 * node that verifies the demo's events verifies a real provider's the same way. Cancel sends nothing:
 * the order stays pending, payable until its deadline.
 */
public final class DemoPayServlet extends JsonServlet {
    private static final Logger LOG = Logger.getLogger(DemoPayServlet.class.getName());
    private static final String PAGE = "/WEB-INF/demo-pay.html";
    private static final SecureRandom RANDOM = new SecureRandom();
    private transient HttpClient client;

    public DemoPayServlet() {
        super("GET", "POST");
    }

    /** Where the buyer pays payment {@code paymentId}. */
    static String checkoutPath(String paymentId) {
        return "/demo-pay/checkout?payment=" + URLEncoder.encode(paymentId, StandardCharsets.UTF_8);
    }

    @Override
    public void init() {
        super.init();
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (!app().settings().pay().demo()) {
            Json.write(response, HttpServletResponse.SC_NOT_FOUND,
                    ErrorServlet.body(HttpServletResponse.SC_NOT_FOUND, request.getMethod(), request.getRequestURI()));
            return;
        }
        super.service(request, response);
    }

    @Override
    protected Reply handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String action = request.getPathInfo() == null ? "" : request.getPathInfo();
        String method = request.getMethod();
        String wanted = switch (action) {
            case "/checkout", "/payment" -> "GET";
            case "/pay" -> "POST";
            default -> null;
        };
        if (wanted == null) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND,
                    ErrorServlet.body(HttpServletResponse.SC_NOT_FOUND, method, request.getRequestURI()));
        }
        if (!wanted.equals(method)) {
            return methodNotAllowed(request, response, List.of(wanted));
        }
        String id = param(request, "payment");
        if (id == null || !Payment.ID.matcher(id).matches()) {
            throw new BadRequestException("payment must be a payment id (pay.SALE.RANDOM)");
        }
        if (action.equals("/checkout")) {
            try {
                request.getRequestDispatcher(PAGE).forward(request, response);
            } catch (ServletException e) {
                throw new IOException("cannot show " + PAGE, e);
            }
            return LATER;
        }
        Optional<Payment> payment = app().orders().payment(id);
        if (payment.isEmpty()) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND, Json.error("unknown_payment", "no payment " + id));
        }
        // the order as /pay named it to the buyer (public in a sale with signed buyers), as a site's
        // integration would pass it on to its provider
        String orderId = orderAccess().shownId(id, payment.get().orderId());
        return action.equals("/payment") ? Reply.ok(Json.body(Json.OK, payment.get().state(),
                view(payment.get(), orderId))) : pay(request, payment.get(), orderId);
    }

    private static Map<String, Object> view(Payment payment, String orderId) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("paymentId", payment.id());
        view.put("orderId", orderId);
        view.put("amount", payment.amount());
        view.put("state", payment.state());
        return view;
    }

    /** Sends the provider's signed event to this node's {@code /pay/callback}; its answer is ours. */
    private Reply pay(HttpServletRequest request, Payment payment, String orderId) throws IOException {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", "evt_" + random());
        event.put("type", PayCallbackServlet.SUCCEEDED);
        event.put("payment", payment.id());
        event.put("order", orderId);
        event.put("amount", payment.amount());
        long now = app().sales().now();
        event.put("created", now / 1000);
        byte[] body = Json.toJson(event).getBytes(StandardCharsets.UTF_8);
        PaymentSignature signature = app().paymentSignature();
        if (signature == null) {
            return new Reply(HttpServletResponse.SC_SERVICE_UNAVAILABLE, Json.error("payments_off",
                    "payments are off on this node: no payment provider secret (rush.pay.secret.file) is configured"));
        }
        String host = request.getLocalAddr();
        URI callback = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + request.getLocalPort() + "/pay/callback");
        HttpRequest post = HttpRequest.newBuilder(callback).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .header(PaymentSignature.HEADER, signature.sign(now / 1000, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            HttpResponse<String> answer;
            try {
                answer = client.send(post, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                // a kept-alive connection the node closed as the event went out ("header parser
                // received no bytes"): a provider sends its webhook again, and the same signed event
                // gets the same answer (PayCallbackServlet), so sending it once more is safe
                LOG.log(Level.INFO, "the demo provider sends its event to " + callback + " again: " + e);
                answer = client.send(post, HttpResponse.BodyHandlers.ofString());
            }
            // the node's answer as it wrote it
            return new Reply(answer.statusCode(), new Json.Raw(codeOf(answer.body()),
                    answer.body().getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "the demo provider could not reach " + callback, e);
            return new Reply(HttpServletResponse.SC_BAD_GATEWAY, Json.error("provider_failed",
                    "the demo provider could not deliver its event to " + callback + ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while sending the payment event", e);
        }
    }

    private static int codeOf(String body) {
        try {
            return JsonParser.parseString(body).getAsJsonObject().get("code").getAsInt();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the node answered the payment event with no JSON code: " + body, e);
        }
    }

    private static String random() {
        byte[] bits = new byte[18];
        RANDOM.nextBytes(bits);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }
}
