package io.ticketrush.web;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.limit.UserRates;
import io.ticketrush.sale.Answer;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Purchase;
import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Sale;
import io.ticketrush.statlog.StatLine;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET|POST /buy/ticket[?sale=ID][&user=ID][&rid=REQUEST]}: one ticket of the sale (the
 * default sale when none is named) per request, local stock first, then the global stock. With a
 * user, at most the sale's limit of tickets, and a retry answers the order already made. In a sale
 * with signed buyers the request carries {@code Authorization: Bearer TOKEN} and the user is the
 * token's ({@link Identity}); the order id answered is then the public one ({@link OrderAccess}),
 * and a buyer past its rate on this node ({@code rush.user.rate}) is answered 429 before anything
 * else is done.
 * A queued sale's buy also carries the buyer's pass from its waiting room ({@code X-Queue-Pass}):
 * without a valid one of the buyer's own it is a 403 {@code not_admitted}, answered from memory.
 *
 * <p>An answer memory knows (sold out, not open yet) is written by the request's own thread. A
 * buyer who joins the line for the next Redis call is made asynchronous: its thread goes back to
 * the container, and the thread that sold its batch writes its answer (see
 * {@link io.ticketrush.sale.Answer}). In a container without asynchronous requests the thread waits.
 */
public final class BuyTicketServlet extends JsonServlet {
    private static final Logger LOG = Logger.getLogger(BuyTicketServlet.class.getName());
    private static final String PURCHASE = BuyTicketServlet.class.getName() + ".purchase";
    private static final String BUYER = BuyTicketServlet.class.getName() + ".buyer";
    private static final String SALE = BuyTicketServlet.class.getName() + ".sale";
    private static final int SC_TOO_MANY_REQUESTS = 429;

    private final transient BuyReplies replies = new BuyReplies();

    public BuyTicketServlet() {
        super("GET", "POST");
    }

    @Override
    public void init() {
        super.init();
        // an archived sale's sold-out answer goes with it (docs/archive.md)
        app().sales().onForget(replies::forget);
    }

    /** Whether this servlet keeps a sold-out answer of sale {@code sale}. */
    boolean holds(String sale) {
        return replies.holds(sale);
    }

    @Override
    protected Reply handle(HttpServletRequest request, HttpServletResponse response) {
        String sale = sale(request);
        request.setAttribute(SALE, sale);
        Sale selling = app().sales().sale(sale);
        Buyer buyer = buyer(request, selling);
        request.setAttribute(BUYER, buyer);
        if (selling.signed()) {
            Reply tooMany = overRate(buyer.user(), response);
            if (tooMany != null) {
                return tooMany;
            }
        }
        if (selling.queued()) {
            // the waiting room's pass, checked here without a Redis call; spent by the buy script
            app().queue().requirePass(selling, buyer.user(), request.getHeader(QueueServlet.PASS_HEADER));
        }
        int node = app().nodePort(request);
        BuyAnswer delivery = new BuyAnswer(request, response, sale, buyer, node);
        app().sales().buy(sale, buyer, node, delivery);
        return delivery.replyNowOrLater();
    }

    /** Takes the buy's answer, in this thread or in the one that sold its batch, and replies with it. */
    private final class BuyAnswer implements Answer {
        private final HttpServletRequest request;
        private final HttpServletResponse response;
        private final String sale;
        private final Buyer buyer;
        private final int node;
        /** Set when the buyer waits in line: the reply is written by whoever answers. */
        private volatile AsyncContext async;
        /** Set when the buyer waits in line and the container cannot let its thread go. */
        private volatile CountDownLatch blocked;
        private volatile Reply reply;

        BuyAnswer(HttpServletRequest request, HttpServletResponse response, String sale, Buyer buyer, int node) {
            this.request = request;
            this.response = response;
            this.sale = sale;
            this.buyer = buyer;
            this.node = node;
        }

        @Override
        public void waiting() {
            if (request.isAsyncSupported()) {
                AsyncContext started = request.startAsync(request, response);
                started.setTimeout(0); // the line answers every buyer within the lock wait
                async = started;
            } else {
                blocked = new CountDownLatch(1);
            }
        }

        @Override
        public void bought(Purchase purchase) {
            Reply answer;
            try {
                if (purchase.outcome() == Outcome.NOT_ADMITTED) {
                    throw QueueRefusal.notAdmitted(BuyReplies.NOT_ADMITTED);
                }
                request.setAttribute(PURCHASE, purchase);
                Sale bought = app().sales().sale(sale);
                String orderId = purchase.orderId() == null ? null : orderAccess().shownId(bought, purchase.orderId());
                answer = Reply.ok(replies.body(purchase, orderId, buyer, node, bought));
            } catch (RuntimeException e) {
                answer = failure(request, e);
            }
            give(answer);
        }

        @Override
        public void failed(RuntimeException e) {
            give(failure(request, e));
        }

        private void give(Reply answer) {
            reply = answer;
            AsyncContext started = async;
            if (started != null) {
                try {
                    finish(request, response, answer);
                } catch (IOException e) {
                    LOG.log(Level.FINE, "the buyer left before the answer", e);
                } finally {
                    started.complete();
                }
            } else if (blocked != null) {
                blocked.countDown();
            }
        }

        /** The reply when this thread is to write it; {@link #LATER} when the answering thread does. */
        Reply replyNowOrLater() {
            if (async != null) {
                return LATER;
            }
            if (blocked != null) {
                try {
                    blocked.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a buy's answer", e);
                }
            }
            return reply;
        }
    }

    /** Who buys from {@code sale}: the token's user in a sale with signed buyers ({@link Identity}). */
    private Buyer buyer(HttpServletRequest request, Sale sale) {
        String user = identity(request).buyer(sale);
        String requestId = param(request, "rid");
        if (requestId == null) {
            requestId = request.getHeader("X-Request-Id");
        }
        if (user == null && !app().settings().anonymousAllowed()) {
            throw new BadRequestException("user is required");
        }
        return new Buyer(user, requestId);
    }

    /**
     * 429 {@code rate_limited} with {@code Retry-After} when {@code user} asked more than its rate on
     * this node ({@link UserRates}, {@code rush.user.rate}); null when it may go on. Asked before the
     * sale is, so a refused request costs no Redis call and sells nothing.
     */
    private Reply overRate(String user, HttpServletResponse response) {
        UserRates rates = app().userRates();
        long waitNanos = rates == null ? 0 : rates.acquire(user);
        if (waitNanos == 0) {
            return null;
        }
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(waitNanos + TimeUnit.SECONDS.toNanos(1) - 1));
        response.setHeader("Retry-After", String.valueOf(seconds));
        return new Reply(SC_TOO_MANY_REQUESTS, Json.error("rate_limited", "too many buy requests from " + user
                + " on this node, slow down (at most " + app().settings().userRate().perSecond() + " a second)"));
    }

    /** One stat.log line per request, whatever its outcome, and its time into the node's stats. */
    @Override
    protected void answered(HttpServletRequest request, Reply reply) {
        Purchase purchase = (Purchase) request.getAttribute(PURCHASE);
        Buyer buyer = (Buyer) request.getAttribute(BUYER);
        String sale = (String) request.getAttribute(SALE);
        app().stats().answered(reply.status(), purchase);
        BuyTimingFilter.took(request, app().stats());
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
