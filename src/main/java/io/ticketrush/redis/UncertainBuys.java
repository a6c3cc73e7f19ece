package io.ticketrush.redis;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Logger;

/**
 * Buy calls whose answer never reached this node (a timeout, a broken connection): their buyers
 * were told 503, so whatever the call sold must go back. Each is voided in Redis
 * ({@link LuaScripts#VOID}) as soon as Redis answers again; until then it waits here. If this node
 * dies first, the orders stay pending nobody's until they expire ({@code rush.order.ttl.ms}).
 */
final class UncertainBuys {
    private static final Logger LOG = Logger.getLogger(UncertainBuys.class.getName());

    /** The VOID call for one buy call: its keys and arguments, made when the buy was sent. */
    record Call(String token, List<String> keys, List<String> args) {
    }

    private final RedisCalls redis;
    private final ConcurrentLinkedQueue<Call> waiting = new ConcurrentLinkedQueue<>();

    UncertainBuys(RedisCalls redis) {
        this.redis = redis;
    }

    void add(Call call) {
        waiting.add(call);
    }

    /**
     * Voids every call waiting, oldest first; returns how many tickets came back.
     *
     * @throws io.ticketrush.sale.StockUnavailableException Redis is still away: the rest waits
     */
    int settle() {
        int back = 0;
        for (Call next = waiting.peek(); next != null; next = waiting.peek()) {
            Call call = next;
            long n = redis.call(jedis -> (Long) LuaScripts.run(jedis, LuaScripts.VOID, call.keys(), call.args()));
            waiting.remove(call);
            back += (int) n;
            LOG.info("buy call " + call.token() + " was answered 503 and voided: " + n + " tickets back");
        }
        return back;
    }

    /** Calls not voided yet. */
    int waiting() {
        return waiting.size();
    }
}
