package io.ticketrush.web;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.node.RushApp;
import io.ticketrush.sale.Admission;
import io.ticketrush.sale.Refusal;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.ShedException;
import io.ticketrush.sale.StockUnavailableException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Base of every ticket-rush endpoint: checks the method, and maps failures to JSON errors in
 * exactly one place (503 for an unreachable stock or a busy node, 400 for bad input, 500 for
 * bugs, never with a stack trace in the body).
 */
public abstract class JsonServlet extends HttpServlet {
    private static final Logger LOG = Logger.getLogger(JsonServlet.class.getName());

    private final List<String> methods;
    private transient RushApp app;

    protected JsonServlet(String... methods) {
        this.methods = List.of(methods);
    }

    @Override
    public void init() {
        app = RushApp.of(getServletContext());
    }

    /** The node this servlet belongs to (wired by {@link RushApp} before any servlet starts). */
    protected RushApp app() {
        return app;
    }

    /** Handles an allowed request; {@code Reply.status} and body are written by the caller. */
    protected Reply handle(HttpServletRequest request) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " answers in handle(request, response)");
    }

    /**
     * Handles an allowed request: {@link #handle(HttpServletRequest)} unless overridden. May
     * answer {@link #LATER}, then it {@link #finish finishes} the reply itself, from any thread.
     */
    protected Reply handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
        return handle(request);
    }

    /**
     * A status and the JSON body to send, and the seconds after which a retry may succeed
     * ({@code Retry-After}; 0: none).
     */
    public record Reply(int status, Object body, int retryAfterSeconds) {
        public Reply(int status, Object body) {
            this(status, body, 0);
        }

        public static Reply ok(Object body) {
            return new Reply(HttpServletResponse.SC_OK, body);
        }
    }

    /** What {@link #handle(HttpServletRequest, HttpServletResponse)} answers when it replies later. */
    protected static final Reply LATER = new Reply(0, null);

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        Reply reply;
        if (!methods.contains(request.getMethod())) {
            reply = methodNotAllowed(request, response, methods);
        } else {
            try {
                reply = replyTo(request, response);
            } catch (Error e) {
                // still one stat.log line per request; the container answers the error
                answered(request, new Reply(HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                        Json.error("internal", "internal error")));
                throw e;
            }
        }
        if (reply != LATER) {
            finish(request, response, reply);
        }
    }

    /** Sends {@code reply}: the one place a reply is counted, logged and written. */
    protected void finish(HttpServletRequest request, HttpServletResponse response, Reply reply) throws IOException {
        answered(request, reply);
        if (reply.retryAfterSeconds() > 0) {
            response.setHeader("Retry-After", Integer.toString(reply.retryAfterSeconds()));
        }
        Json.write(response, reply.status(), reply.body());
    }

    /** The JSON 405 for a method other than {@code allowed}, with the {@code Allow} header it must carry. */
    static Reply methodNotAllowed(HttpServletRequest request, HttpServletResponse response, List<String> allowed) {
        response.setHeader("Allow", String.join(", ", allowed));
        return new Reply(HttpServletResponse.SC_METHOD_NOT_ALLOWED, Json.error("method_not_allowed",
                request.getMethod() + " is not allowed here; use " + String.join(" or ", allowed)));
    }

    private Reply replyTo(HttpServletRequest request, HttpServletResponse response) {
        try {
            return handle(request, response);
        } catch (RuntimeException | IOException e) {
            if (e instanceof AccessDeniedException denied && denied.challenge() != null) {
                response.setHeader("WWW-Authenticate", denied.challenge());
            }
            return failure(request, e);
        }
    }

    /** Who the request is from ({@link Identity}: its bearer token, verified, and its user=). */
    protected Identity identity(HttpServletRequest request) {
        return Identity.of(request, app.tokens());
    }

    /**
     * A place under the node's bound on order requests that wait for Redis ({@code rush.shed.limit}:
     * {@link RushApp#orderAdmission()}), released once the request is answered.
     * None left: a {@link ShedException}, answered at once as a JSON 503 {@code busy} with
     * {@code Retry-After}, before anything is read or written.
     */
    protected Admission.Permit orderPlace() {
        return app.orderAdmission().tryAcquire().orElseThrow(() -> new ShedException(
                "node busy: " + app.orderAdmission() + " order requests (pay, cancel, order, orders) in flight"));
    }

    /** Which orders a request may see and by which ids. */
    protected OrderAccess orderAccess() {
        return new OrderAccess(app.orders(), app.sales()::liveOrArchived, app.orderIds());
    }

    /**
     * The JSON reply a failure gets: a {@link Refusal} its own status and error (nothing was sold or
     * changed: 400, 404, 409, 503), a request its identity does not allow 401 or 403, a malformed
     * request 400, anything else 500 (a bug), never with a
     * stack trace in the body.
     */
    protected static Reply failure(HttpServletRequest request, Exception e) {
        if (e instanceof Refusal refusal) {
            if (refusal instanceof StockUnavailableException) {
                LOG.log(Level.WARNING, refusal.getMessage());
            }
            Map<String, Object> body = Json.error(refusal.error(), refusal.shown());
            if (refusal.reason() != null) {
                body.put("reason", refusal.reason());
            }
            return new Reply(refusal.status(), body, refusal.retryAfterSeconds());
        }
        if (e instanceof AccessDeniedException denied) {
            return new Reply(denied.status(), Json.error(denied.error(), denied.getMessage()));
        }
        if (e instanceof BadRequestException) {
            return new Reply(HttpServletResponse.SC_BAD_REQUEST, Json.error("bad_request", e.getMessage()));
        }
        LOG.log(Level.SEVERE, "request failed: " + request.getRequestURI(), e);
        return new Reply(HttpServletResponse.SC_INTERNAL_SERVER_ERROR, Json.error("internal", "internal error"));
    }

    /** The one value of a query or form parameter, or null; a parameter given twice is a bad request. */
    protected static String param(HttpServletRequest request, String name) {
        String[] values = PlainQuery.values(request, name);
        if (values != PlainQuery.NOT_PLAIN) {
            return one(name, values);
        }
        try {
            values = request.getParameterValues(name);
        } catch (RuntimeException e) {
            // the container could not decode the query or form (bad %-escape, bad UTF-8, too many
            // or too large parameters): the buyer's mistake, not ours
            throw new BadRequestException("the query string or form cannot be decoded (bad %-escape or UTF-8,"
                    + " or too many parameters)");
        }
        return one(name, values);
    }

    private static String one(String name, String[] values) {
        if (values == null || values.length == 0) {
            return null;
        }
        if (values.length > 1) {
            throw new BadRequestException(name + " is given " + values.length + " times; give it once");
        }
        return values[0].isEmpty() ? null : values[0];
    }

    /** The sale a request names ({@code sale}), or the default sale when it names none. */
    protected static String sale(HttpServletRequest request) {
        String sale = param(request, "sale");
        return sale == null ? Sale.DEFAULT : Sale.requireId("sale", sale);
    }

    /** Called once per request with the reply about to be sent (the buy endpoint logs it). */
    protected void answered(HttpServletRequest request, Reply reply) {
    }
}
