package io.ticketrush;

import java.util.List;
import java.util.Optional;

/** The global stock as one Redis hash ({@code ticket_total_nums}, {@code ticket_sold_nums}) plus the orders. */
public final class RedisGlobalStock implements GlobalStock {
    static final String TOTAL = "ticket_total_nums";
    static final String SOLD = "ticket_sold_nums";
    /** A request id is remembered this long: far longer than any client retries. */
    static final int REQUEST_TTL_SECONDS = 24 * 3600;

    private final RedisCalls redis;
    private final Keys keys;

    public RedisGlobalStock(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public Reservation reserve(Buyer buyer, int node, long payWithinMillis, int perUserLimit) {
        String user = buyer.anonymous() ? "" : buyer.user();
        String requestId = buyer.requestId() == null ? "" : buyer.requestId();
        List<String> scriptKeys = List.of(keys.stock(), keys.orderSeq(), keys.orderStream(), keys.pending(),
                keys.userActive(user), keys.userOrders(user), keys.request(user, requestId));
        List<String> args = List.of(user, String.valueOf(node), String.valueOf(payWithinMillis),
                String.valueOf(perUserLimit), requestId, keys.orderPrefix(), String.valueOf(REQUEST_TTL_SECONDS));
        List<?> answer = redis.call(jedis -> (List<?>) LuaScripts.run(jedis, LuaScripts.BUY, scriptKeys, args));
        return toReservation(answer);
    }

    /** The one place the buy script's answers become outcomes. */
    static Reservation toReservation(List<?> answer) {
        long code = (Long) answer.get(0);
        String orderId = (String) answer.get(1);
        long deadline = answer.get(2) == null ? 0 : (Long) answer.get(2);
        if (code == 1) {
            return new Reservation(Reservation.Outcome.NEW, orderId, deadline);
        }
        if (code == 2) {
            return new Reservation(Reservation.Outcome.EXISTING, orderId, deadline);
        }
        if (code == 0) {
            return Reservation.SOLD;
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
            String deadline = jedis.hget(keys.order(id), "deadline");
            return Optional.of(new Reservation(Reservation.Outcome.EXISTING, id,
                    deadline == null ? 0 : Long.parseLong(deadline)));
        });
    }

    @Override
    public Snapshot snapshot() {
        List<String> values = redis.call(jedis -> jedis.hmget(keys.stock(), TOTAL, SOLD));
        if (values.get(0) == null) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)));
    }
}
