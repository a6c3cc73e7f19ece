package io.ticketrush;

import java.util.List;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisException;

/** The global stock as one Redis hash ({@code ticket_total_nums}, {@code ticket_sold_nums}). */
public final class RedisGlobalStock implements GlobalStock {
    static final String TOTAL = "ticket_total_nums";
    static final String SOLD = "ticket_sold_nums";

    private final JedisPool pool;
    private final List<String> keys;

    public RedisGlobalStock(JedisPool pool, String stockKey) {
        this.pool = pool;
        this.keys = List.of(stockKey);
    }

    @Override
    public Take take() {
        long code;
        try (Jedis jedis = pool.getResource()) {
            code = (Long) LuaScripts.run(jedis, LuaScripts.TAKE, keys, List.of());
        } catch (JedisException e) {
            throw new StockUnavailableException("global stock unreachable: " + e.getMessage(), e);
        }
        return toTake(code);
    }

    /** The one place script answers become outcomes. */
    static Take toTake(long code) {
        if (code == 1) {
            return Take.TAKEN;
        }
        if (code == 0) {
            return Take.SOLD_OUT;
        }
        if (code == -1) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        throw new IllegalStateException("take script answered " + code);
    }

    @Override
    public Snapshot snapshot() {
        List<String> values;
        try (Jedis jedis = pool.getResource()) {
            values = jedis.hmget(keys.get(0), TOTAL, SOLD);
        } catch (JedisException e) {
            throw new StockUnavailableException("global stock unreachable: " + e.getMessage(), e);
        }
        if (values.get(0) == null) {
            throw new StockUnavailableException("global stock not initialised (run ./rush reset)");
        }
        return new Snapshot(Long.parseLong(values.get(0)), values.get(1) == null ? 0 : Long.parseLong(values.get(1)));
    }
}
