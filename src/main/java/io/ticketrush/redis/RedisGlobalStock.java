package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.StockUnavailableException;

/** The global stock as one Redis hash ({@code ticket_total_nums}, {@code ticket_sold_nums}) plus the orders. */
public final class RedisGlobalStock implements GlobalStock {
    /** A request id is remembered this long: far longer than any client retries. */
    static final int REQUEST_TTL_SECONDS = 24 * 3600;

    private final RedisCalls redis;
    private final Keys keys;

    public RedisGlobalStock(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public List<Reservation> reserveAll(List<Request> requests, long payWithinMillis, int perUserLimit) {
        List<String> scriptKeys = new ArrayList<>(4 + 3 * requests.size());
        Collections.addAll(scriptKeys, keys.stock(), keys.orderSeq(), keys.orderStream(), keys.pending());
        List<String> args = new ArrayList<>(4 + 3 * requests.size());
        Collections.addAll(args, String.valueOf(payWithinMillis), String.valueOf(perUserLimit), keys.orderPrefix(),
                String.valueOf(REQUEST_TTL_SECONDS));
        for (Request request : requests) {
            Buyer buyer = request.buyer();
            String user = buyer.anonymous() ? "" : buyer.user();
            String requestId = buyer.requestId() == null ? "" : buyer.requestId();
            Collections.addAll(scriptKeys, keys.userActive(user), keys.userOrders(user), keys.request(user, requestId));
            Collections.addAll(args, user, requestId, String.valueOf(request.node()));
        }
        List<?> answer = redis.call(jedis -> (List<?>) LuaScripts.run(jedis, LuaScripts.BUY, scriptKeys, args));
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

    /** The one place the buy script's answers become outcomes. */
    static Reservation toReservation(List<?> answer) {
        long code = (Long) answer.get(0);
        String orderId = (String) answer.get(1);
        long deadline = answer.get(2) == null ? 0 : (Long) answer.get(2);
        if (code == 1) {
            return new Reservation(Outcome.TICKET, orderId, deadline);
        }
        if (code == 2) {
            return new Reservation(Outcome.EXISTING, orderId, deadline);
        }
        if (code == 0) {
            return Reservation.SOLD_OUT;
        }
        if (code == -1) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        throw new IllegalStateException("buy script answered " + code);
    }

    @Override
    public Optional<Reservation> existing(Buyer buyer) {
        if (buyer.anonymous()) {
            return Optional.empty();
        }
        return redis.call(jedis -> {
            String id = buyer.requestId() == null ? null : jedis.get(keys.request(buyer.user(), buyer.requestId()));
            if (id == null) {
                List<String> latest = jedis.zrange(keys.userActive(buyer.user()), -1, -1);
                id = latest.isEmpty() ? null : latest.get(0);
            }
            if (id == null) {
                return Optional.empty();
            }
            String deadline = jedis.hget(keys.order(id), Keys.DEADLINE);
            return Optional.of(new Reservation(Outcome.EXISTING, id, deadline == null ? 0 : Long.parseLong(deadline)));
        });
    }

    @Override
    public Snapshot snapshot() {
        List<String> values = redis.call(jedis -> jedis.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD));
        if (values.get(0) == null) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)));
    }
}
