package io.ticketrush.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.queue.QueueAnswer;
import io.ticketrush.sale.Admission;
import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.ShedException;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A queued sale's waiting room (docs/queue.md), for signed buyers ({@code Authorization: Bearer}):
 *
 * <ul>
 * <li>{@code POST /queue/join?sale=ID} [{@code X-Queue-Proof}: the puzzle's solution when the sale
 *     has one]: the buyer's place (the same one when asked again), and the queue ticket to poll with;</li>
 * <li>{@code GET /queue?sale=ID[&waitlist=1]} with {@code X-Queue-Ticket}: where the buyer stands,
 *     answered from the ticket and the node's figures (no Redis call while nothing changed), with
 *     the pass ({@code X-Queue-Pass} of {@code /buy/ticket}) once admitted.</li>
 * </ul>
 *
 * Both answer {@code {"code":1,"msg":STATE,"data":{"state":..,"position":..,"ahead":..,"etaMs":..,
 * "retryAfterMs":..,"ticket":..,"pass":..,...}}}. A join waits for its batch's Redis call without
 * holding a thread (unless its thread makes the call: the line was free); a poll is answered by its
 * own thread.
 */
public final class QueueServlet extends JsonServlet {
    private static final Logger LOG = Logger.getLogger(QueueServlet.class.getName());
    /** The queue ticket a poll sends. */
    public static final String TICKET_HEADER = "X-Queue-Ticket";
    /** The pass a buy of a queued sale sends. */
    public static final String PASS_HEADER = "X-Queue-Pass";
    /** The puzzle's solution a join sends. */
    public static final String PROOF_HEADER = "X-Queue-Proof";
    static final String JOIN = "/queue/join";
    /** The longest a join waits for its batch's answer (the line answers in milliseconds). */
    private static final long ANSWER_SECONDS = 10;

    public QueueServlet() {
        super("GET", "POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean join = JOIN.equals(request.getServletPath());
        String method = join ? "POST" : "GET";
        if (!method.equals(request.getMethod())) {
            return methodNotAllowed(request, response, List.of(method));
        }
        Sale sale = app().sales().sale(Sale.requireId("sale", param(request, "sale")));
        Identity who = identity(request);
        who.requireToken("a place in a waiting room belongs to a signed buyer: send Authorization: Bearer TOKEN");
        String user = who.buyer(sale);
        // The answer is made on whichever thread completes the place: this one, while it is still in
        // here (the line idle: it served its own join), or the thread that served the batch once this
        // request went asynchronous (as a buy's answer is delivered by the thread that sold it). No
        // hand-over to another thread: on a loaded machine each costs a wake-up.
        Thread own = Thread.currentThread();
        AtomicBoolean handling = new AtomicBoolean(true);
        CompletableFuture<AsyncContext> started = new CompletableFuture<>();
        Executor answering = task -> {
            if (handling.get() && Thread.currentThread() == own) {
                task.run();
            } else {
                started.thenAccept(async -> task.run());
            }
        };
        // a bound on joins and polls in flight (rush.shed.limit): the excess is told busy at once, nothing done
        Admission.Permit permit = app().roomAdmission().tryAcquire().orElseThrow(() -> new ShedException(
                "node busy: " + app().roomAdmission() + " joins and polls of waiting rooms in flight"));
        CompletableFuture<QueueAnswer> answer;
        try {
            answer = join
                    ? app().queue().join(sale, user, header(request, PROOF_HEADER), answering)
                    : app().queue().poll(sale, user, header(request, TICKET_HEADER), waitlist(request), answering);
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        answer.whenComplete((done, failed) -> permit.release());
        handling.set(false);
        if (answer.isDone()) {
            return reply(request, answer);
        }
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // the answer comes within ANSWER_SECONDS, or a 503
        answer.orTimeout(ANSWER_SECONDS, TimeUnit.SECONDS).whenComplete((done, failed) -> {
            try {
                finish(request, response, reply(request, answer));
            } catch (IOException e) {
                LOG.log(Level.FINE, "the buyer left before the answer", e);
            } finally {
                async.complete();
            }
        });
        started.complete(async);
        return LATER;
    }

    /** The one value of header {@code name}, or null; a header given twice is a bad request (which would count?). */
    private static String header(HttpServletRequest request, String name) {
        Enumeration<String> values = request.getHeaders(name);
        if (values == null || !values.hasMoreElements()) {
            return null;
        }
        String value = values.nextElement();
        if (values.hasMoreElements()) {
            throw new BadRequestException(name + " is given more than once; give it once");
        }
        return value;
    }

    private static boolean waitlist(HttpServletRequest request) {
        String value = param(request, "waitlist");
        return value != null && !"0".equals(value) && !"false".equals(value);
    }

    /** The reply of a completed answer: its JSON, or its failure's. */
    private static Reply reply(HttpServletRequest request, CompletableFuture<QueueAnswer> answer) {
        try {
            QueueAnswer done = answer.join();
            return Reply.ok(body(done));
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                return failure(request, new BusyException("no answer from the waiting room's line within "
                        + ANSWER_SECONDS + " s"));
            }
            return failure(request, cause instanceof Exception failed ? failed : e);
        }
    }

    /**
     * The answer's JSON, written here rather than by Gson's reflection: a poll is the room's most
     * frequent request and this was most of its CPU on the node (docs/queue.md, "Cheap to serve").
     * The same fields, in the same order, as {@code Json.body(OK, state, {state, position, ...})}.
     */
    static Json.Raw body(QueueAnswer answer) {
        String state = answer.state().name().toLowerCase(Locale.ROOT);
        StringBuilder json = new StringBuilder(448);
        json.append("{\"code\":").append(Json.OK).append(",\"msg\":");
        text(json, state).append(",\"data\":{\"state\":");
        text(json, state).append(",\"position\":").append(answer.position())
                .append(",\"ahead\":").append(answer.ahead())
                .append(",\"etaMs\":").append(answer.etaMs())
                .append(",\"retryAfterMs\":").append(answer.retryAfterMs())
                .append(",\"ticket\":");
        text(json, answer.ticket()).append(",\"pass\":");
        text(json, answer.pass()).append(",\"passUntil\":").append(answer.passUntil())
                .append(",\"passUsed\":").append(answer.passUsed())
                .append(",\"opensInMs\":").append(answer.opensInMs())
                .append(",\"inRoom\":").append(answer.inRoom())
                .append(",\"passesOut\":").append(answer.passesOut())
                .append(",\"unpaid\":").append(answer.unpaid())
                .append(",\"last\":").append(answer.last()).append("}}");
        return new Json.Raw(Json.OK, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** {@code value} as a JSON string (null as null): escapes quotes, backslashes and control characters. */
    private static StringBuilder text(StringBuilder json, String value) {
        if (value == null) {
            return json.append("null");
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"');
    }
}
