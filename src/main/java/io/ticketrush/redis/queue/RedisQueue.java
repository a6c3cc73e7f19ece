package io.ticketrush.redis.queue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.ticketrush.queue.Place;
import io.ticketrush.queue.QueueStore;
import io.ticketrush.queue.RoomView;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.redis.script.RoomReply;
import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.sale.UnknownSaleException;

/**
 * Queued sales' waiting rooms as Redis holds them, under each sale's hash tag: the room (a sorted
 * set of places, {@link Keys#queue}), the passes ({@link Keys#queuePasses}), the spent passes
 * ({@link Keys#queueSpent}) and the counters in the stock hash. Joins, the admission step, a pass's
 * look-up and leaving are Lua ({@code queue_join.lua}, {@code queue_admit.lua}, {@code queue_pass.lua},
 * {@code queue_leave.lua}), so each is one atomic step.
 */
public final class RedisQueue implements QueueStore {
    /** The most passes one admission call lapses and places it admits: bounds its time in Redis. */
    static final int ADMIT_BATCH = 1000;

    private final RedisCalls redis;
    private final Function<String, Keys> keys;

    public RedisQueue(RedisCalls redis, Function<String, Keys> keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public List<Place> join(Sale sale, List<Joiner> joiners) {
        Keys k = keys.apply(sale.id());
        List<String> args = new ArrayList<>(2 * joiners.size());
        for (Joiner joiner : joiners) {
            args.add(joiner.user());
            args.add(Double.toString(joiner.lottery()));
        }
        List<String> scriptKeys = List.of(k.stock(), k.queue());
        RoomReply reply = redis.call(k.stock(), jedis -> LuaScripts.QUEUE_JOIN.run(jedis, scriptKeys, args));
        refused(sale, reply);
        if (reply.values().size() != 3 * joiners.size()) {
            throw new IllegalStateException("queue_join answered " + reply.values().size() / 3 + " of "
                    + joiners.size() + " joiners");
        }
        List<Place> places = new ArrayList<>(joiners.size());
        for (int i = 0; i < joiners.size(); i++) {
            places.add(new Place(reply.text(3 * i), reply.number(3 * i + 1), reply.number(3 * i + 2) == 1));
        }
        return places;
    }

    @Override
    public RoomView admit(Sale sale, long byClock, long passMillis) {
        Keys k = keys.apply(sale.id());
        List<String> args = List.of(String.valueOf(byClock), String.valueOf(passMillis), String.valueOf(ADMIT_BATCH));
        while (true) {
            RoomReply reply = redis.call(k.stock(), jedis -> LuaScripts.QUEUE_ADMIT.run(jedis, k.forScripts(), args));
            refused(sale, reply);
            if (reply.number(7) == 0) {
                return new RoomView(reply.number(0), reply.number(1), reply.number(2), reply.number(3),
                        reply.number(4), reply.number(5), reply.number(6), reply.number(8), reply.number(9));
            }
            // a full batch lapsed or admitted: more to do
        }
    }

    @Override
    public Optional<PassRecord> pass(Sale sale, String user) {
        Keys k = keys.apply(sale.id());
        return redis.call(k.stock(), jedis -> {
            RoomReply reply = LuaScripts.QUEUE_PASS.run(jedis, k.forScripts(), List.of(user));
            if (reply.number(0) == 0) {
                return Optional.empty();
            }
            RoomReply.PassUse use = RoomReply.PassUse.of(reply.number(2));
            if (use == RoomReply.PassUse.SPENT && !redis.waits().reached(jedis)) {
                // the buyer is told of its order (it was marked told): only once a replica has that
                throw new StockUnavailableException("no replica of the ticket store had the order within "
                        + redis.waits().timeoutMillis() + " ms");
            }
            return Optional.of(new PassRecord(reply.number(1), use != RoomReply.PassUse.UNSPENT,
                    use == RoomReply.PassUse.CONFIRMING));
        });
    }

    @Override
    public Left leave(Sale sale, String user) {
        Keys k = keys.apply(sale.id());
        RoomReply reply = redis.call(k.stock(), jedis -> LuaScripts.QUEUE_LEAVE.run(jedis, k.forScripts(),
                List.of(user)));
        refused(sale, reply);
        return switch (RoomReply.Leave.of(reply.number(0))) {
            case ADMITTED -> Left.ADMITTED;
            case WAITING -> Left.WAITING;
            case SPENT -> Left.SPENT;
            case NOT_IN_ROOM -> Left.NOT_IN_ROOM;
        };
    }

    /** The one place a whole call's refusal becomes an exception. */
    private static void refused(Sale sale, RoomReply reply) {
        if (!reply.refused()) {
            return;
        }
        throw switch (reply.refusal()) {
            case NO_SALE -> new UnknownSaleException(sale.id());
            case NOT_QUEUED -> QueueRefusal.notQueued(sale.id());
            case CLOSED -> QueueRefusal.closed(sale.id());
        };
    }
}
