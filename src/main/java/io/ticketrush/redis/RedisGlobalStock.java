package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StaleSaleException;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

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
 * script that meets one of its orders once this node has given up on it.
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

    RedisGlobalStock(RedisCalls redis, Keys keys, SaleAdmin admin, RedisClock clock, UncertainBuys uncertain,
            int readTimeoutMillis) {
        this.redis = redis;
        this.keys = keys;
        this.admin = admin;
        this.clock = clock;
        this.uncertain = uncertain;
        this.deadlineMillis = deadline(readTimeoutMillis);
        this.giveUpMillis = giveUp(readTimeoutMillis);
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
        String token = TOKENS + BATCHES.incrementAndGet();
        List<?> answer = send(requests, sale, token);
        if (answer.size() == 2 && (Long) answer.get(0) == -4) {
            // a sale of the article's kind (a bare HMSET): it gets its order id base now
            admin.ensureIdBase(keys);
            token = TOKENS + BATCHES.incrementAndGet();
            answer = send(requests, sale, token);
        }
        if (answer.size() == 2) {
            return refused((Long) answer.get(0), requests.size());
        }
        if (answer.size() != 3 * requests.size()) {
            throw new IllegalStateException("buy script answered " + answer.size() / 3 + " of " + requests.size()
                    + " buyers");
        }
        List<Reservation> reservations = new ArrayList<>(requests.size());
        for (int i = 0; i < answer.size(); i += 3) {
            reservations.add(toReservation(answer.subList(i, i + 3)));
        }
        if (reservations.stream().anyMatch(r -> r.outcome() == Outcome.TICKET)) {
            // the call made orders: settled now, before any buyer hears of them
            settle(token);
        }
        return reservations;
    }

    private List<?> send(List<Request> requests, Sale sale, String token) {
        if (!clock.known()) {
            readClock();
        }
        List<String> scriptKeys = keys.forScripts();
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
        return redis.call(jedis -> (List<?>) LuaScripts.run(jedis, LuaScripts.BUY, scriptKeys, args),
                () -> uncertain.add(new UncertainBuys.Call(token, scriptKeys, List.of(token))));
    }

    /**
     * Settles the call: from now on its orders are their buyers'. A settling Redis ran too late
     * (or not at all, or whose answer was lost) settles nothing this node can count on: the buyers
     * hear 503 and the call is voided (docs/orders.md, "A 503 sells nothing").
     */
    private void settle(String token) {
        List<String> scriptKeys = keys.forScripts();
        List<String> args = List.of(token, String.valueOf(clock.nowMillis() + deadlineMillis));
        UncertainBuys.Call voiding = new UncertainBuys.Call(token, scriptKeys, List.of(token));
        long settled = redis.call(jedis -> (Long) LuaScripts.run(jedis, LuaScripts.SETTLE, scriptKeys, args),
                () -> uncertain.add(voiding));
        if (settled != 1) {
            uncertain.add(voiding);
            throw new StockUnavailableException("the ticket store settled the buy too late (it was stalled);"
                    + " nothing was sold");
        }
    }

    /** The one place a whole call's refusal becomes an answer or an exception. */
    private List<Reservation> refused(long code, int buyers) {
        return switch ((int) code) {
            case -6 -> Collections.nCopies(buyers, Reservation.NOT_OPEN);
            case -7 -> Collections.nCopies(buyers, Reservation.CLOSED);
            case -2 -> throw new StockUnavailableException("the ticket store ran the buy after this node's deadline"
                    + " for it (it was stalled); nothing was sold");
            case -3 -> throw new StockUnavailableException("the buy ran after this node had voided it; nothing was"
                    + " sold");
            case -4 -> throw new StockUnavailableException("sale " + keys.sale() + " has no order id base");
            case -5 -> throw new StockUnavailableException("sale " + keys.sale() + " has used up its "
                    + OrderIds.MAX_SEQ + " order numbers");
            case -8 -> throw new StaleSaleException("sale " + keys.sale() + " was reset since this node read it;"
                    + " nothing was sold");
            default -> throw new IllegalStateException("buy script answered " + code);
        };
    }

    /** The one place the buy script's answers for one buyer become outcomes. */
    static Reservation toReservation(List<?> answer) {
        long code = (Long) answer.get(0);
        String orderId = (String) answer.get(1);
        long deadline = answer.get(2) == null ? 0 : (Long) answer.get(2);
        return switch ((int) code) {
            case 1 -> new Reservation(Outcome.TICKET, orderId, deadline);
            case 2 -> new Reservation(Outcome.EXISTING, orderId, deadline);
            case 3 -> new Reservation(Outcome.EXPIRED, orderId, deadline);
            case 0 -> Reservation.SOLD_OUT;
            case 4 -> Reservation.UNSETTLED;
            case -1 -> throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
            default -> throw new IllegalStateException("buy script answered " + code);
        };
    }

    @Override
    public Optional<Reservation> existing(Buyer buyer) {
        if (buyer.anonymous() && buyer.requestId() == null) {
            return Optional.empty();
        }
        List<String> args = List.of(buyer.anonymous() ? "" : buyer.user(),
                buyer.requestId() == null ? "" : buyer.requestId());
        List<?> answer = redis.call(jedis -> (List<?>) LuaScripts.run(jedis, LuaScripts.EXISTING, keys.forScripts(),
                args));
        if ((Long) answer.get(0) == 0) {
            return Optional.empty();
        }
        return Optional.of(toReservation(answer));
    }

    /** The stock, and Redis's clock read in the same round trip (this is what the periodic sync calls). */
    @Override
    public Snapshot snapshot() {
        List<String> values = redis.call(jedis -> {
            long sent = System.nanoTime();
            Pipeline pipeline = jedis.pipelined();
            Response<List<String>> time = pipeline.time();
            Response<List<String>> stock = pipeline.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD);
            pipeline.sync();
            clock.observe(sent, time.get(), System.nanoTime());
            return stock.get();
        });
        if (values.get(0) == null) {
            throw new StockUnavailableException("sale " + keys.sale() + " has no stock in Redis (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)));
    }

    private void readClock() {
        redis.call(jedis -> {
            long sent = System.nanoTime();
            clock.observe(sent, jedis.time(), System.nanoTime());
            return null;
        });
    }
}
