package io.ticketrush.redis.stock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisClock;
import io.ticketrush.redis.connect.ReplicaWaits;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.keys.OrderIds;
import io.ticketrush.redis.sales.SaleAdmin;
import io.ticketrush.redis.script.BuyReply;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StaleSaleException;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The global stock of one sale: its Redis hash ({@code ticket_total_nums}, {@code ticket_sold_nums},
 * ...) and its orders, sold by {@link LuaScripts#BUY}.
 *
 * <p>A buy call that fails to come back must have sold nothing, since its buyers hear 503. Each
 * call carries a deadline on Redis's clock ({@link RedisClock}), a margin before this node stops
 * waiting for it: a call Redis starts later (it was stuck behind a stall) does nothing. A call
 * that ran leaves its orders unsettled (nobody's) until this node, having the answer, settles
 * them, before it tells its buyers; if the answer is lost (Redis stalled between running the call
 * and answering, a broken link), {@link UncertainBuys} voids the call, and so does the first
 * script that meets one of its orders once this node has given up on it. With replicas, a buyer
 * is told of an order only once a replica has it, so a failover cannot take it back.
 */
public final class RedisGlobalStock implements GlobalStock {
    /** Batch tokens: this node instance's random prefix and a counter. */
    private static final String TOKENS = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ":";
    private static final AtomicLong BATCHES = new AtomicLong();

    private final RedisCalls redis;
    private final Keys keys;
    private final SaleAdmin admin;
    private final RedisClock clock;
    private final UncertainBuys uncertain;
    /** How long after sending a buy Redis may still start it: the read timeout less a margin. */
    private final long deadlineMillis;
    /** How long after sending a buy this node has surely given up on it: the read timeout plus a margin. */
    private final long giveUpMillis;
    /** How long a buy whose answer was lost tries to void itself before its buyers hear 503: the read timeout. */
    private final long voidWithinMillis;

    public RedisGlobalStock(RedisCalls redis, Keys keys, SaleAdmin admin, RedisClock clock, UncertainBuys uncertain,
            int readTimeoutMillis) {
        this.redis = redis;
        this.keys = keys;
        this.admin = admin;
        this.clock = clock;
        this.uncertain = uncertain;
        this.deadlineMillis = deadline(readTimeoutMillis);
        this.giveUpMillis = giveUp(readTimeoutMillis);
        this.voidWithinMillis = readTimeoutMillis;
    }

    /** The margin covers the error of the clock reading and the node's own pauses: at least 100 ms. */
    static long giveUp(int readTimeoutMillis) {
        return readTimeoutMillis + Math.max(100, readTimeoutMillis / 2);
    }

    /**
     * The margin covers the script's own run, its answer's way back and the error of the clock
     * reading (half a round trip): a quarter of the timeout, at least 50 ms when the timeout
     * allows it.
     */
    static long deadline(int readTimeoutMillis) {
        int margin = Math.max(readTimeoutMillis / 4, Math.min(50, readTimeoutMillis / 2));
        return Math.max(1, readTimeoutMillis - margin);
    }

    @Override
    public List<Reservation> reserveAll(List<Request> requests, Sale sale) {
        BuyReply reply = call(requests, sale);
        if (reply.refusal() == BuyReply.Refusal.NO_ID_BASE) {
            // a sale made by a bare HMSET: it gets its order id base now
            admin.ensureIdBase(keys);
            reply = call(requests, sale);
        }
        if (reply.refused()) {
            return refused(reply, requests.size());
        }
        List<Reservation> reservations = new ArrayList<>(requests.size());
        for (BuyReply.Told told : reply.told()) {
            reservations.add(toReservation(told));
        }
        return reservations;
    }

    /**
     * One buy call, all on one connection: the buy; if it told a buyer of an order (new, or theirs
     * already), the wait for a replica to have it ({@link ReplicaWaits}); if it sold, the settling,
     * before any buyer hears of its orders, and the wait for a replica to have that too. A call that
     * sold and then fails is voided (docs/orders.md, "A 503 sells nothing"); one whose wait runs out
     * is voided at once, on the same connection, and again until a replica has the void. The first
     * wait comes before the settling, so that orders no replica had are never settled: a retry of
     * their buyers finds them unsettled (try again), never theirs, even while the void cannot run.
     * Answers the buy script's reply.
     */
    private BuyReply call(List<Request> requests, Sale sale) {
        String token = TOKENS + BATCHES.incrementAndGet();
        List<String> scriptKeys = keys.forScripts();
        List<String> args = args(requests, sale, token);
        UncertainBuys.Call voiding = new UncertainBuys.Call(token, scriptKeys, List.of(token));
        return redis.call(keys.stock(), jedis -> {
            BuyReply reply = LuaScripts.BUY.run(jedis, scriptKeys, args);
            if (reply.refused()) {
                return reply;
            }
            if (reply.told().size() != requests.size()) {
                throw new IllegalStateException("buy script answered " + reply.told().size() + " of "
                        + requests.size() + " buyers");
            }
            boolean sold = reply.any(BuyReply.Code.TICKET);
            if (!sold && !reply.any(BuyReply.Code.EXISTING) && !reply.any(BuyReply.Code.EXPIRED)) {
                return reply; // nobody is told of an order
            }
            try {
                awaitReplica(jedis, sold, voiding);
                if (sold) {
                    if (!settle(jedis, token, scriptKeys)) {
                        uncertain.add(voiding);
                        throw new StockUnavailableException("the ticket store settled the buy too late (it was"
                                + " stalled); nothing was sold");
                    }
                    awaitReplica(jedis, true, voiding);
                }
            } catch (JedisDataException e) {
                // refused, so nothing of it was written (a primary without replicas: NOREPLICAS)
                if (sold) {
                    uncertain.add(voiding);
                }
                throw e;
            }
            return reply;
        }, () -> uncertain.voidNow(voiding, voidWithinMillis));
    }

    /**
     * Waits for a replica to have what {@code jedis} wrote; if none has it in time, the call is
     * voided ({@code sold}: at once, and queued until a replica has the void) and its buyers hear 503.
     */
    private void awaitReplica(Jedis jedis, boolean sold, UncertainBuys.Call voiding) {
        if (redis.waits().reached(jedis)) {
            return;
        }
        if (sold) {
            LuaScripts.VOID.run(jedis, voiding.keys(), voiding.args());
            uncertain.add(voiding);
        }
        throw new StockUnavailableException("no replica of the ticket store had the buy within "
                + redis.waits().timeoutMillis() + " ms; nothing was sold");
    }

    private List<String> args(List<Request> requests, Sale sale, String token) {
        if (!clock.known()) {
            readClock();
        }
        long now = clock.nowMillis();
        List<String> args = new ArrayList<>(6 + 3 * requests.size());
        Collections.addAll(args, String.valueOf(sale.payWithinMillis()), String.valueOf(sale.perUserLimit()),
                String.valueOf(now + deadlineMillis), String.valueOf(now + giveUpMillis),
                sale.generation() == 0 ? "" : String.valueOf(sale.generation()), token);
        for (Request request : requests) {
            Buyer buyer = request.buyer();
            Collections.addAll(args, buyer.anonymous() ? "" : buyer.user(),
                    buyer.requestId() == null ? "" : buyer.requestId(), String.valueOf(request.node()));
        }
        return args;
    }

    /**
     * Settles the call: from now on its orders are their buyers'. A settling Redis ran too late
     * (or not at all: voided meanwhile) settles nothing this node can count on: false, and the
     * buyers hear 503.
     */
    private boolean settle(Jedis jedis, String token, List<String> scriptKeys) {
        List<String> args = List.of(token, String.valueOf(clock.nowMillis() + deadlineMillis));
        return LuaScripts.SETTLE.run(jedis, scriptKeys, args);
    }

    /** The one place a whole call's refusal becomes an answer or an exception. */
    private List<Reservation> refused(BuyReply reply, int buyers) {
        return switch (reply.refusal()) {
            case NOT_OPEN -> Collections.nCopies(buyers, Reservation.NOT_OPEN);
            case CLOSED -> Collections.nCopies(buyers, Reservation.CLOSED);
            case TOO_LATE -> throw new StockUnavailableException("the ticket store ran the buy after this node's"
                    + " deadline for it (it was stalled); nothing was sold");
            case VOIDED -> throw new StockUnavailableException("the buy ran after this node had voided it; nothing"
                    + " was sold");
            case NO_ID_BASE -> throw new StockUnavailableException("sale " + keys.sale() + " has no order id base");
            case NUMBERS_USED_UP -> throw new StockUnavailableException("sale " + keys.sale() + " has used up its "
                    + OrderIds.MAX_SEQ + " order numbers");
            case RESET_SINCE -> throw new StaleSaleException("sale " + keys.sale() + " was reset since this node"
                    + " read it; nothing was sold");
        };
    }

    /** The one place the buy script's answer for one buyer becomes an outcome. */
    static Reservation toReservation(BuyReply.Told told) {
        return switch (told.code()) {
            case TICKET -> new Reservation(Outcome.TICKET, told.orderId(), told.deadline());
            case EXISTING -> new Reservation(Outcome.EXISTING, told.orderId(), told.deadline());
            case EXPIRED -> new Reservation(Outcome.EXPIRED, told.orderId(), told.deadline());
            case SOLD_OUT -> Reservation.SOLD_OUT;
            case NOT_ADMITTED -> Reservation.NOT_ADMITTED;
            case TRY_AGAIN -> Reservation.UNSETTLED;
            case NO_SALE -> throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
            case NO_ORDER -> throw new IllegalStateException("buy script answered " + told);
        };
    }

    @Override
    public Optional<Reservation> existing(Buyer buyer) {
        return existingAll(List.of(buyer)).get(0);
    }

    /** One round trip for all of {@code buyers} (none when none can hold an order: anonymous, no request id). */
    @Override
    public List<Optional<Reservation>> existingAll(List<Buyer> buyers) {
        List<String> args = new ArrayList<>(2 * buyers.size());
        for (Buyer buyer : buyers) {
            if (!(buyer.anonymous() && buyer.requestId() == null)) {
                args.add(buyer.anonymous() ? "" : buyer.user());
                args.add(buyer.requestId() == null ? "" : buyer.requestId());
            }
        }
        List<BuyReply.Told> found = args.isEmpty() ? List.of() : redis.call(keys.stock(), jedis -> {
            List<BuyReply.Told> told = LuaScripts.EXISTING.run(jedis, keys.forScripts(), args);
            boolean tellsOfOrders = told.stream().anyMatch(t -> t.code() == BuyReply.Code.EXISTING
                    || t.code() == BuyReply.Code.EXPIRED);
            if (tellsOfOrders && !redis.waits().reached(jedis)) {
                throw new StockUnavailableException("no replica of the ticket store had the order within "
                        + redis.waits().timeoutMillis() + " ms");
            }
            return told;
        });
        List<Optional<Reservation>> answers = new ArrayList<>(buyers.size());
        int next = 0;
        for (Buyer buyer : buyers) {
            BuyReply.Told told = buyer.anonymous() && buyer.requestId() == null ? null : found.get(next++);
            answers.add(told == null || told.code() == BuyReply.Code.NO_ORDER ? Optional.empty()
                    : Optional.of(toReservation(told)));
        }
        return answers;
    }

    /**
     * The stock, how many calls are unsettled, and Redis's clock, read in the same round trip (this
     * is what the periodic sync calls).
     */
    @Override
    public Snapshot snapshot() {
        long[] unsettled = new long[1];
        List<String> values = redis.call(keys.stock(), jedis -> {
            long sent = System.nanoTime();
            Pipeline pipeline = jedis.pipelined();
            Response<List<String>> time = pipeline.time();
            Response<List<String>> stock = pipeline.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD);
            Response<Long> calls = pipeline.zcard(keys.unsettled());
            pipeline.sync();
            clock.observe(sent, time.get(), System.nanoTime());
            unsettled[0] = calls.get();
            return stock.get();
        });
        if (values.get(0) == null) {
            throw new StockUnavailableException("sale " + keys.sale() + " has no stock in Redis (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)),
                unsettled[0]);
    }

    private void readClock() {
        redis.call(keys.stock(), jedis -> {
            long sent = System.nanoTime();
            clock.observe(sent, jedis.time(), System.nanoTime());
            return null;
        });
    }
}
