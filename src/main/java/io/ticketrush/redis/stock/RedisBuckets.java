package io.ticketrush.redis.stock;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Logger;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisClock;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buckets;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Response;

/**
 * Moves unsold tickets between the buckets of a hot sale (each bucket a sale of its own, maybe on
 * another Redis Cluster master), in steps that may undersell for a moment but never oversell:
 * the giving bucket's total goes down by what it has unsold, at most, and records the transfer
 * ({@link LuaScripts#TAKE_STOCK}); a replica has that before the receiving bucket's total goes up
 * by it, once per transfer ({@link LuaScripts#GIVE_STOCK}); a replica has that before the record
 * goes. A transfer whose node died half way is finished by the next node that finds it old.
 */
public final class RedisBuckets implements Buckets {
    private static final Logger LOG = Logger.getLogger(RedisBuckets.class.getName());
    /** A transfer this old (on Redis's clock) is taken for one whose node gave up or died: it is finished. */
    static final long STALE_MILLIS = 2000;

    private final RedisCalls redis;
    private final Function<String, Keys> keys;
    private final RedisClock clock;
    private final String node;
    private final AtomicLong transfers = new AtomicLong();

    public RedisBuckets(RedisCalls redis, Function<String, Keys> keys, RedisClock clock, int nodePort) {
        this.redis = redis;
        this.keys = keys;
        this.clock = clock;
        this.node = nodePort + "-" + Long.toString(System.currentTimeMillis(), 36);
    }

    @Override
    public long refill(Sale hot, int into) {
        List<List<Object>> stock = collect(hot);
        int from = -1;
        long most = 0;
        for (int b = 0; b < hot.buckets(); b++) {
            long left = number((String) stock.get(b).get(0)) - number((String) stock.get(b).get(1));
            if (b != into && left > most) {
                most = left;
                from = b;
            }
        }
        if (from < 0) {
            return 0;
        }
        // half of what the richest has left: the buckets even out in a few moves, not one per buyer
        long wanted = Math.max(1, most / 2);
        return move(hot.bucketId(from), hot.bucketId(into), wanted);
    }

    /** One transfer of up to {@code wanted} tickets from bucket {@code from} to {@code to}; the tickets moved. */
    long move(String from, String to, long wanted) {
        Keys giver = keys.apply(from);
        String id = node + "-" + transfers.incrementAndGet();
        List<String> args = List.of(id, to, String.valueOf(wanted));
        long taken = redis.call(giver.stock(), jedis -> {
            long n = LuaScripts.TAKE_STOCK.run(jedis, List.of(giver.stock(), giver.transfers()),
                    args);
            if (n > 0 && !redis.waits().reached(jedis)) {
                // kept on record: whoever finds it old gives it once a replica has it
                throw new StockUnavailableException("no replica had the transfer of " + n + " tickets from " + from
                        + " within " + redis.waits().timeoutMillis() + " ms; it is finished later");
            }
            return n;
        });
        if (taken > 0) {
            give(from, id, to, taken);
        }
        return taken;
    }

    /** Gives transfer {@code id}'s tickets to bucket {@code to} (once, however often asked), then drops its record. */
    private void give(String from, String id, String to, long tickets) {
        Keys receiver = keys.apply(to);
        redis.call(receiver.stock(), jedis -> {
            LuaScripts.GIVE_STOCK.run(jedis, List.of(receiver.stock(), receiver.received()),
                    List.of(id, String.valueOf(tickets)));
            if (!redis.waits().reached(jedis)) {
                throw new StockUnavailableException("no replica had transfer " + id + " to " + to + " within "
                        + redis.waits().timeoutMillis() + " ms; it is finished later");
            }
            return null;
        });
        Keys giver = keys.apply(from);
        redis.call(giver.stock(), jedis -> jedis.hdel(giver.transfers(), id));
    }

    @Override
    public long moving(Sale hot) {
        long now = clockNow(hot);
        long moving = 0;
        for (int b = 0; b < hot.buckets(); b++) {
            String from = hot.bucketId(b);
            Keys giver = keys.apply(from);
            Map<String, String> stale = new LinkedHashMap<>();
            long fresh = redis.call(giver.stock(), jedis -> {
                long n = 0;
                for (Map.Entry<String, String> record : jedis.hgetAll(giver.transfers()).entrySet()) {
                    String[] f = record.getValue().split("\\|");
                    if (now - Long.parseLong(f[2]) >= STALE_MILLIS) {
                        stale.put(record.getKey(), record.getValue());
                    } else {
                        n += Long.parseLong(f[1]);
                    }
                }
                if (!stale.isEmpty()) {
                    // written again, so that WAIT tells whether a replica has the take behind them
                    jedis.hset(giver.transfers(), stale);
                    if (!redis.waits().reached(jedis)) {
                        // no replica has them yet: still moving, finished by a later look
                        for (String value : stale.values()) {
                            n += Long.parseLong(value.split("\\|")[1]);
                        }
                        stale.clear();
                    }
                }
                return n;
            });
            moving += fresh;
            for (Map.Entry<String, String> record : stale.entrySet()) {
                String[] f = record.getValue().split("\\|");
                LOG.info("finishing transfer " + record.getKey() + " of " + f[1] + " tickets from " + from + " to "
                        + f[0] + " (its node gave up on it or died)");
                give(from, record.getKey(), f[0], Long.parseLong(f[1]));
            }
        }
        return moving;
    }

    @Override
    public boolean soldOut(Sale hot) {
        if (moving(hot) > 0) {
            return false; // (and transfers a dead node left are finished)
        }
        List<List<Object>> last = collect(hot);
        for (int i = 0; i < COLLECTS; i++) {
            if (!gone(last)) {
                return false;
            }
            List<List<Object>> again = collect(hot);
            if (again.equals(last)) {
                // nothing moved on between the two readings: each bucket held these values from
                // its first reading to its second, so at the moment between them all were gone
                return true;
            }
            last = again;
        }
        return false; // it kept changing: not known to be sold out, the buyer tries again
    }

    /** Readings of a sale that kept changing before {@link #soldOut} gives up for now. */
    private static final int COLLECTS = 5;

    /**
     * Every bucket's counters that any change of its stock moves on (total, sold, orders numbered,
     * voided, expired, transfers), its transfers on record and its unsettled calls, in one pipeline.
     */
    private List<List<Object>> collect(Sale hot) {
        return redis.pipelined(pipeline -> {
            List<Response<List<String>>> stocks = new ArrayList<>(hot.buckets());
            List<Response<Long>> records = new ArrayList<>(hot.buckets());
            List<Response<Long>> unsettled = new ArrayList<>(hot.buckets());
            for (int b = 0; b < hot.buckets(); b++) {
                Keys k = keys.apply(hot.bucketId(b));
                stocks.add(pipeline.hmget(k.stock(), Keys.TOTAL, Keys.SOLD, Keys.SEQ, Keys.VOIDED, Keys.EXPIRED,
                        Keys.MOVES));
                records.add(pipeline.hlen(k.transfers()));
                unsettled.add(pipeline.zcard(k.unsettled()));
            }
            pipeline.sync();
            List<List<Object>> all = new ArrayList<>(hot.buckets());
            for (int b = 0; b < hot.buckets(); b++) {
                List<Object> one = new ArrayList<>(stocks.get(b).get());
                one.add(records.get(b).get());
                one.add(unsettled.get(b).get());
                all.add(one);
            }
            return all;
        });
    }

    /** Every bucket sold all it has, nothing on record as moving, no call unsettled. */
    private static boolean gone(List<List<Object>> buckets) {
        for (List<Object> b : buckets) {
            if (number((String) b.get(0)) > number((String) b.get(1)) || (Long) b.get(6) > 0 || (Long) b.get(7) > 0) {
                return false;
            }
        }
        return true;
    }

    private long clockNow(Sale hot) {
        if (!clock.known()) {
            String any = keys.apply(hot.bucketId(0)).stock();
            redis.call(any, jedis -> {
                long sent = System.nanoTime();
                clock.observe(sent, jedis.time(), System.nanoTime());
                return null;
            });
        }
        return clock.nowMillis();
    }

    private static long number(String value) {
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }
}
