package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.ticketrush.order.Order;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * The global stock as one Redis hash ({@code ticket_total_nums}, {@code ticket_sold_nums}) plus
 * the orders, sold by {@link LuaScripts#BUY}.
 *
 * <p>A buy call that fails to come back must have sold nothing, since its buyers hear 503. Two
 * things see to it. Each call carries a deadline on Redis's clock ({@link RedisClock}), a margin
 * before this node stops waiting for it: a call Redis starts later (it was stuck behind a stall)
 * does nothing. And each call has a batch key: if the answer is lost after the call ran (Redis
 * stalled between running it and answering), {@link UncertainBuys} voids its orders.
 */
public final class RedisGlobalStock implements GlobalStock {
    /** A request id is remembered this long: far longer than any client retries. */
    static final int REQUEST_TTL_SECONDS = 24 * 3600;
    /** A batch key is kept this long: far longer than any wait for Redis to come back and void it. */
    static final int BATCH_TTL_SECONDS = 3600;

    private final RedisCalls redis;
    private final Keys keys;
    private final SaleAdmin sales;
    private final RedisClock clock = new RedisClock();
    private final UncertainBuys uncertain;
    /** How long after sending a buy Redis may still start it: the read timeout less a margin. */
    private final long deadlineMillis;
    /** Batch tokens: this node instance's random prefix and a counter. */
    private final String tokenPrefix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + ":";
    private final AtomicLong batches = new AtomicLong();

    public RedisGlobalStock(RedisCalls redis, Keys keys, int readTimeoutMillis) {
        this.redis = redis;
        this.keys = keys;
        this.sales = new SaleAdmin(redis, keys);
        this.uncertain = new UncertainBuys(redis);
        this.deadlineMillis = deadline(readTimeoutMillis);
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
    public List<Reservation> reserveAll(List<Request> requests, long payWithinMillis, int perUserLimit) {
        List<?> answer = send(requests, payWithinMillis, perUserLimit);
        if (answer.size() == 1 && (Long) answer.get(0) == -4) {
            // a sale of the article's kind (a bare HMSET): it gets its order id base now
            sales.ensureIdBase();
            answer = send(requests, payWithinMillis, perUserLimit);
        }
        if (answer.size() == 1) {
            throw refused((Long) answer.get(0));
        }
        if (answer.size() != 3 * requests.size()) {
            throw new IllegalStateException("buy script answered " + answer.size() / 3 + " of " + requests.size()
                    + " buyers");
        }
        List<Reservation> reservations = new ArrayList<>(requests.size());
        for (int i = 0; i < answer.size(); i += 3) {
            reservations.add(toReservation(answer.subList(i, i + 3)));
        }
        return reservations;
    }

    private List<?> send(List<Request> requests, long payWithinMillis, int perUserLimit) {
        if (!clock.known()) {
            readClock();
        }
        String token = tokenPrefix + batches.incrementAndGet();
        List<String> scriptKeys = new ArrayList<>(5 + 3 * requests.size());
        Collections.addAll(scriptKeys, keys.stock(), keys.orderSeq(), keys.orderStream(), keys.pending(),
                keys.batch(token));
        List<String> args = new ArrayList<>(6 + 3 * requests.size());
        Collections.addAll(args, String.valueOf(payWithinMillis), String.valueOf(perUserLimit), keys.orderPrefix(),
                String.valueOf(REQUEST_TTL_SECONDS), String.valueOf(clock.nowMillis() + deadlineMillis),
                String.valueOf(BATCH_TTL_SECONDS));
        List<String> voidKeys = new ArrayList<>(4 + 2 * requests.size());
        Collections.addAll(voidKeys, keys.batch(token), keys.stock(), keys.orderStream(), keys.pending());
        List<String> voidArgs = new ArrayList<>(2 + requests.size());
        Collections.addAll(voidArgs, keys.orderPrefix(), String.valueOf(BATCH_TTL_SECONDS));
        for (Request request : requests) {
            Buyer buyer = request.buyer();
            String user = buyer.anonymous() ? "" : buyer.user();
            String requestId = buyer.requestId() == null ? "" : buyer.requestId();
            Collections.addAll(scriptKeys, keys.userActive(user), keys.userOrders(user), keys.request(user, requestId));
            Collections.addAll(args, user, requestId, String.valueOf(request.node()));
            Collections.addAll(voidKeys, keys.userActive(user), keys.request(user, requestId));
            voidArgs.add(user);
        }
        return redis.call(jedis -> (List<?>) LuaScripts.run(jedis, LuaScripts.BUY, scriptKeys, args),
                () -> uncertain.add(new UncertainBuys.Call(token, voidKeys, voidArgs)));
    }

    /** The one place a whole call's refusal becomes an exception. */
    static RuntimeException refused(long code) {
        return switch ((int) code) {
            case -2 -> new StockUnavailableException("the ticket store ran the buy after this node's deadline for it"
                    + " (it was stalled); nothing was sold");
            case -3 -> new StockUnavailableException("the buy ran after this node had voided it; nothing was sold");
            case -4 -> new StockUnavailableException("the sale has no order id base");
            case -5 -> new StockUnavailableException("the sale has used up its " + OrderIds.MAX_SEQ + " order numbers");
            default -> new IllegalStateException("buy script answered " + code);
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
            case -1 -> throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
            default -> throw new IllegalStateException("buy script answered " + code);
        };
    }

    /**
     * Voids the buy calls whose answers were lost, now that Redis may answer again; how many
     * tickets came back. Run by a background duty.
     */
    public int settleUncertainBuys() {
        return uncertain.settle();
    }

    /** Buy calls whose answers were lost and that are not voided yet. */
    public int uncertainBuys() {
        return uncertain.waiting();
    }

    @Override
    public Optional<Reservation> existing(Buyer buyer) {
        if (buyer.anonymous() && buyer.requestId() == null) {
            return Optional.empty();
        }
        String user = buyer.anonymous() ? "" : buyer.user();
        return redis.call(jedis -> {
            String id = buyer.requestId() == null ? null : jedis.get(keys.request(user, buyer.requestId()));
            if (id == null && !buyer.anonymous()) {
                List<String> latest = jedis.zrange(keys.userActive(buyer.user()), -1, -1);
                id = latest.isEmpty() ? null : latest.get(0);
            }
            if (id == null) {
                return Optional.empty();
            }
            List<String> order = jedis.hmget(keys.order(id), Keys.STATE, Keys.DEADLINE);
            Outcome outcome = Order.EXPIRED.equals(order.get(0)) ? Outcome.EXPIRED : Outcome.EXISTING;
            return Optional.of(new Reservation(outcome, id, order.get(1) == null ? 0 : Long.parseLong(order.get(1))));
        });
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
            observe(sent, time.get());
            return stock.get();
        });
        if (values.get(0) == null) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)));
    }

    private void readClock() {
        redis.call(jedis -> {
            long sent = System.nanoTime();
            observe(sent, jedis.time());
            return null;
        });
    }

    private void observe(long sentNanos, List<String> time) {
        clock.observe(sentNanos, Long.parseLong(time.get(0)), Long.parseLong(time.get(1)), System.nanoTime());
    }
}
