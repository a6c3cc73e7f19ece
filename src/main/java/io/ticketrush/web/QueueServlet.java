package io.ticketrush.web;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.queue.QueueAnswer;
import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.Sale;
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
 * holding a thread; a poll is answered by its own thread.
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
        CompletableFuture<AsyncContext> started = new CompletableFuture<>();
        Executor answering = task -> started.thenAccept(async -> async.start(task));
        CompletableFuture<QueueAnswer> answer = join
                ? app().queue().join(sale, user, request.getHeader(PROOF_HEADER), answering)
                : app().queue().poll(sale, user, request.getHeader(TICKET_HEADER), waitlist(request), answering);
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

    private static boolean waitlist(HttpServletRequest request) {
        String value = param(request, "waitlist");
        return value != null && !"0".equals(value) && !"false".equals(value);
    }

    /** The reply of a completed answer: its JSON, or its failure's. */
    private static Reply reply(HttpServletRequest request, CompletableFuture<QueueAnswer> answer) {
        try {
            QueueAnswer done = answer.join();
            return Reply.ok(Json.body(Json.OK, done.state().name().toLowerCase(Locale.ROOT), view(done)));
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TimeoutException) {
                return failure(request, new BusyException("no answer from the waiting room's line within "
                        + ANSWER_SECONDS + " s"));
            }
            return failure(request, cause instanceof Exception failed ? failed : e);
        }
    }

    private static Map<String, Object> view(QueueAnswer answer) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("state", answer.state().name().toLowerCase(Locale.ROOT));
        view.put("position", answer.position());
        view.put("ahead", answer.ahead());
        view.put("etaMs", answer.etaMs());
        view.put("retryAfterMs", answer.retryAfterMs());
        view.put("ticket", answer.ticket());
        view.put("pass", answer.pass());
        view.put("passUntil", answer.passUntil());
        view.put("passUsed", answer.passUsed());
        view.put("opensInMs", answer.opensInMs());
        view.put("inRoom", answer.inRoom());
        view.put("passesOut", answer.passesOut());
        view.put("unpaid", answer.unpaid());
        view.put("last", answer.last());
        return view;
    }
}
