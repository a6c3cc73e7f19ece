package io.ticketrush.web;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.order.Payment;
import io.ticketrush.order.PaymentSignature;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /pay/callback}: the payment provider's word that a payment succeeded, the only way an
 * order becomes paid. Signed as Stripe signs webhooks ({@link PaymentSignature}: header
 * {@code Rush-Signature: t=SECONDS,v1=HEX}, HMAC-SHA256 of {@code t + "." + body} with the shared
 * secret), body {@code {"id":"evt_..","type":"payment.succeeded","payment":..,"order":..,"amount":..}}.
 *
 * <ul>
 * <li>no, a malformed or a wrong signature: 401 {@code bad_signature}; signed more than 300 s from
 *     now (too late, a replay): 400 {@code stale_event}; a body that is no such event: 400. Nothing
 *     changes.</li>
 * <li>an event for no payment, or naming another order or amount than its payment's: 400
 *     {@code unknown_payment} or {@code payment_mismatch}; nothing changes.</li>
 * <li>otherwise 200: {@code paid}, {@code already paid} (the payment was confirmed before), or
 *     {@code refund due} (its order had expired or was voided: the money is recorded as owed back,
 *     the order stays as it was; also for an order whose sale was archived since: recorded once in
 *     the database's {@code late_payments}, docs/archive.md). The same event again gets the same answer
 *     ({@code "repeated":true}) and changes nothing.</li>
 * <li>an event of another type: 200 {@code ignored}, nothing changes.</li>
 * </ul>
 *
 * <p>No bearer token is asked for: the provider is no buyer, and its word is authenticated by its
 * signature. Its {@code order} is the order as the answers of {@code /pay} named it (the public id
 * in a sale with signed buyers) or its number; either must be its payment's order. The answers name
 * the order as {@code /pay} does ({@link OrderAccess}).
 */
public final class PayCallbackServlet extends JsonServlet {
    private static final Logger LOG = Logger.getLogger(PayCallbackServlet.class.getName());
    /** The event type that confirms a payment. */
    public static final String SUCCEEDED = "payment.succeeded";
    /** A provider's event is a few hundred bytes. */
    static final int MAX_BODY = 16 * 1024;
    /** How much of a body too long is read and dropped before the 413, so that its sender reads the answer. */
    private static final int DRAINED = 256 * 1024;
    /** An order as an event may name it: its number, or its public id. */
    private static final String ORDER = "[0-9]{1,19}|[A-Za-z0-9_-]{" + PublicOrderIds.LENGTH + "}";

    public PayCallbackServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) throws IOException {
        PaymentSignature signature = app().paymentSignature();
        if (signature == null) {
            return new Reply(HttpServletResponse.SC_SERVICE_UNAVAILABLE, Json.error("payments_off",
                    "payments are off on this node: no payment provider secret (rush.pay.secret.file) is configured"));
        }
        byte[] body = body(request);
        if (body == null) {
            return new Reply(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    Json.error("too_large", "a payment event has at most " + MAX_BODY + " bytes"));
        }
        switch (signature.verify(request.getHeader(PaymentSignature.HEADER), body, app().sales().now())) {
            case VALID -> {
            }
            case OUTSIDE_WINDOW -> {
                return new Reply(HttpServletResponse.SC_BAD_REQUEST, Json.error("stale_event", "the event was signed more"
                        + " than " + PaymentSignature.TOLERANCE.toSeconds() + " s from now: too late (a replay?) or too early"));
            }
            default -> {
                return new Reply(HttpServletResponse.SC_UNAUTHORIZED, Json.error("bad_signature",
                        "no valid " + PaymentSignature.HEADER + " header: t=SECONDS,v1=HMAC-SHA256 of t.body"));
            }
        }
        JsonObject event = event(body);
        String type = text(event, "type", 64);
        if (!SUCCEEDED.equals(type)) {
            return Reply.ok(Json.body(Json.OK, "ignored: events of type " + type + " change nothing", null));
        }
        String eventId = id(event, "id", Payment.EVENT_ID.pattern());
        String paymentId = id(event, "payment", Payment.ID.pattern());
        String named = id(event, "order", ORDER); // as the event names it; the answers name it so too
        long amount = amount(event);
        OrderAccess access = orderAccess();
        Optional<String> number = access.number(named);
        if (number.isEmpty()) {
            return mismatch(body, paymentId, named, amount); // a public id no order key of ours made
        }
        Payment.Notice notice = new Payment.Notice(eventId, paymentId, number.get(), amount);
        Payment.Confirmed confirmed = app().orders().confirmPayment(notice, app().settings().pay().keepEventMillis());
        return switch (confirmed.outcome()) {
            case PAID -> Reply.ok(Json.body(Json.OK, "paid", view(access, notice, confirmed)));
            case ALREADY_PAID -> Reply.ok(Json.body(Json.OK, "already paid: payment " + notice.paymentId()
                    + " was confirmed before", view(access, notice, confirmed)));
            case REFUND_DUE -> {
                if (!confirmed.repeated()) {
                    LOG.warning(() -> "refund due: payment " + notice.paymentId() + " of " + notice.amount() + " for order "
                            + notice.orderId() + ", which had expired or was voided (event " + notice.eventId() + ")");
                }
                yield Reply.ok(Json.body(Json.OK, "refund due: order " + named + " had expired or was voided before"
                        + " the money came; it stays so, and the money is owed back", view(access, notice, confirmed)));
            }
            case UNKNOWN -> new Reply(HttpServletResponse.SC_BAD_REQUEST,
                    Json.error("unknown_payment", "no payment " + notice.paymentId()));
            case MISMATCH -> mismatch(body, paymentId, named, amount);
        };
    }

    private static Reply mismatch(byte[] body, String paymentId, String order, long amount) {
        LOG.log(Level.SEVERE, () -> "a signed event names another order or amount than its payment: "
                + new String(body, StandardCharsets.UTF_8));
        return new Reply(HttpServletResponse.SC_BAD_REQUEST, Json.error("payment_mismatch", "payment "
                + paymentId + " is not of order " + order + " for " + amount));
    }

    /** The answer to an event of the payment's own order: the order named as {@code /pay} named it. */
    private Map<String, Object> view(OrderAccess access, Payment.Notice notice, Payment.Confirmed confirmed) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("eventId", notice.eventId());
        view.put("paymentId", notice.paymentId());
        view.put("orderId", access.shownId(notice.paymentId(), notice.orderId()));
        view.put("amount", notice.amount());
        view.put("outcome", confirmed.outcome().name().toLowerCase());
        view.put("repeated", confirmed.repeated());
        long now = app().sales().now();
        view.put("order", app().orders().find(notice.orderId()).map(o -> access.view(o, now)).orElse(null));
        return view;
    }

    /**
     * The body, or null if it is longer than {@link #MAX_BODY}. A body too long but not huge is read
     * to its end and dropped (up to {@link #DRAINED}): a node that answered 413 and closed with the
     * body unread would reset the connection, and the sender would read the reset, not the 413.
     */
    private static byte[] body(HttpServletRequest request) throws IOException {
        try (InputStream in = request.getInputStream()) {
            if (request.getContentLengthLong() > MAX_BODY) {
                if (request.getContentLengthLong() <= DRAINED) {
                    drain(in, request.getContentLengthLong());
                }
                return null;
            }
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                drain(in, DRAINED); // a chunked body: what is left of it, within reason
                return null;
            }
            return body;
        }
    }

    /** Reads and drops up to {@code bytes} of {@code in}, or to its end. */
    private static void drain(InputStream in, long bytes) throws IOException {
        for (long left = bytes; left > 0;) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    return;
                }
                skipped = 1;
            }
            left -= skipped;
        }
    }

    private static JsonObject event(byte[] body) {
        try {
            JsonElement parsed = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
            if (parsed.isJsonObject()) {
                return parsed.getAsJsonObject();
            }
        } catch (JsonParseException e) {
            // said below
        }
        throw new BadRequestException("the body is not a JSON object");
    }

    private static String text(JsonObject event, String name, int max) {
        JsonElement value = event.get(name);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()
                || value.getAsString().isEmpty() || value.getAsString().length() > max) {
            throw new BadRequestException("\"" + name + "\" must be a string of 1 to " + max + " characters");
        }
        return value.getAsString();
    }

    private static String id(JsonObject event, String name, String pattern) {
        String value = text(event, name, 100);
        if (!value.matches(pattern)) {
            throw new BadRequestException("\"" + name + "\" must match " + pattern);
        }
        return value;
    }

    private static long amount(JsonObject event) {
        JsonElement value = event.get("amount");
        if (value instanceof JsonPrimitive primitive && primitive.isNumber()
                && primitive.getAsString().matches("[1-9][0-9]{0,11}")) {
            return primitive.getAsLong();
        }
        throw new BadRequestException("\"amount\" must be a whole number above 0 (in the currency's smallest unit)");
    }
}
