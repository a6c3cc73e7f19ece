package io.ticketrush.redis.stock;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.StockUnavailableException;

/**
 * Buy calls whose answer never reached this node (a timeout, a broken connection), or whose wait
 * for a replica ran out: their buyers were told 503, so whatever the call sold must go back. Each is voided in Redis
 * ({@link LuaScripts#VOID}): a broken link's call before its buyers are answered, when Redis answers
 * within the node's timeout ({@link #voidNow}); else as soon as Redis answers again, and until then
 * it waits here. If this node
 * dies first, the orders stay pending nobody's until they expire ({@code rush.order.ttl.ms}).
 */
public final class UncertainBuys {
    private static final Logger LOG = Logger.getLogger(UncertainBuys.class.getName());
    /** How soon a void that found Redis away is tried again, before its buyers are answered. */
    private static final long RETRY_MILLIS = 20;

    /** The VOID call for one buy call: its keys and arguments, made when the buy was sent. */
    record Call(String token, List<String> keys, List<String> args) {
    }

    private final RedisCalls redis;
    private final ConcurrentLinkedQueue<Call> waiting = new ConcurrentLinkedQueue<>();

    public UncertainBuys(RedisCalls redis) {
        this.redis = redis;
    }

    void add(Call call) {
        waiting.add(call);
    }

    /**
     * Voids {@code call} before its buyers hear 503, tried again every {@value #RETRY_MILLIS} ms for
     * up to {@code budgetMillis}; if Redis does not answer by then, or no replica has the void, the
     * call waits for {@link #settle()} as any other. A buyer retries once answered: voided first,
     * the retry finds nothing of the call, where a retry that came before the void was told of an
     * order its call had settled just before the link broke (the settling ran, its answer was lost)
     * and kept it, a ticket sold to a request answered 503 (I7; ChaosIT 4, a Redis killed and
     * restarted from its AOF).
     */
    void voidNow(Call call, long budgetMillis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        for (;;) {
            try {
                long[] voided = redis.tryPastBreaker(call.keys().get(0), jedis -> {
                    long n = LuaScripts.VOID.run(jedis, call.keys(), call.args());
                    return new long[] {n, redis.waits().reached(jedis) ? 1 : 0};
                });
                if (voided[1] == 0) {
                    waiting.add(call); // again until a replica has it
                } else {
                    LOG.info("buy call " + call.token() + " was answered 503 and voided before the answer: "
                            + voided[0] + " tickets back");
                }
                return;
            } catch (StockUnavailableException e) {
                if (System.nanoTime() - end >= 0 || !pause()) {
                    waiting.add(call);
                    return;
                }
            }
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(RETRY_MILLIS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Voids every call waiting, oldest first; returns how many tickets came back. With replicas, a
     * call waits here until a replica has its void: a failover to a replica without it would sell
     * the call's tickets again while its buyers hold 503s; voided again on the new primary, it
     * goes back there too (or, if that primary never had the call, is marked so that it never runs).
     *
     * @throws io.ticketrush.sale.StockUnavailableException Redis is still away, or no replica has
     *     the void yet: the rest waits
     */
    public int settle() {
        int back = 0;
        for (Call next = waiting.peek(); next != null; next = waiting.peek()) {
            Call call = next;
            long[] voided = redis.call(call.keys().get(0), jedis -> {
                long n = LuaScripts.VOID.run(jedis, call.keys(), call.args());
                return new long[] {n, redis.waits().reached(jedis) ? 1 : 0};
            });
            back += (int) voided[0];
            if (voided[1] == 0) {
                if (voided[0] > 0) {
                    LOG.info("buy call " + call.token() + " was answered 503 and voided: " + voided[0]
                            + " tickets back, but no replica has the void yet");
                }
                throw new StockUnavailableException("no replica of the ticket store had the void of buy call "
                        + call.token() + " within " + redis.waits().timeoutMillis() + " ms; voided again later");
            }
            waiting.remove(call);
            LOG.info("buy call " + call.token() + " was answered 503 and voided: " + voided[0] + " tickets back");
        }
        return back;
    }

    /** Calls not voided yet. */
    public int waiting() {
        return waiting.size();
    }
}
