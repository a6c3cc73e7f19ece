package io.ticketrush.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.ticketrush.Config;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;

/** The Lua step against a real redis-server. */
class RedisGlobalStockTest {
    private static final String KEY = "ticket_hash_key";
    private static RedisServer redis;
    private JedisPool pool;
    private RedisGlobalStock stock;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        redis.restart();
        pool = RedisPools.open(Config.from(Map.of("rush.redis.port", String.valueOf(redis.port()))::get));
        stock = new RedisGlobalStock(new RedisCalls(pool), new Keys(KEY));
    }

    @AfterEach
    void disconnect() {
        pool.close();
    }

    private Outcome take() {
        return stock.reserve(Buyer.ANONYMOUS, 3001, 60_000, 1).outcome();
    }

    @Test
    void one_call_for_several_buyers_answers_each_as_if_it_came_alone() {
        redis.initStock(KEY, 3);
        List<Reservation> answers = stock.reserveAll(List.of(
                new GlobalStock.Request(new Buyer("alice", null), 3001),
                new GlobalStock.Request(new Buyer("bob", null), 3002),
                new GlobalStock.Request(new Buyer("alice", null), 3001),
                new GlobalStock.Request(new Buyer(null, "nginx-1"), 3003),
                new GlobalStock.Request(new Buyer(null, "nginx-1"), 3004),
                new GlobalStock.Request(new Buyer("carol", null), 3001),
                new GlobalStock.Request(new Buyer("bob", null), 3002)), 60_000, 1);
        assertEquals(List.of(Outcome.TICKET, Outcome.TICKET, Outcome.EXISTING,
                Outcome.TICKET, Outcome.EXISTING, Outcome.SOLD_OUT,
                Outcome.EXISTING), answers.stream().map(Reservation::outcome).toList());
        assertEquals(List.of("1", "2", "1", "3", "3"), answers.stream().limit(5).map(Reservation::orderId).toList(),
                "a repeat, in the same call, gets the order made for it earlier in the call");
        assertEquals("2", answers.get(6).orderId(), "a buyer who holds an order hears of it even when sold out");
        assertEquals(3, redis.sold(KEY));
        try (Jedis jedis = redis.client()) {
            Keys keys = new Keys(KEY);
            assertEquals("3", jedis.get(keys.orderSeq()));
            assertEquals(3, jedis.xlen(keys.orderStream()), "one created event per new order");
            assertEquals("3003", jedis.hget(keys.order("3"), "node"), "each order records its own buyer's node");
            assertEquals(answers.get(0).deadline(), Long.parseLong(jedis.hget(keys.order("1"), "deadline")));
        }
    }

    @Test
    void a_total_of_t_sells_exactly_t() {
        redis.initStock(KEY, 3);
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(3, redis.sold(KEY));
        assertEquals(new GlobalStock.Snapshot(3, 3), stock.snapshot());
    }

    @Test
    void a_total_of_zero_sells_nothing() {
        redis.initStock(KEY, 0);
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(0, redis.sold(KEY));
    }

    @Test
    void the_script_is_loaded_again_after_a_script_flush() {
        redis.initStock(KEY, 5);
        assertEquals(Outcome.TICKET, take());
        try (Jedis jedis = redis.client()) {
            jedis.scriptFlush();
            assertEquals(false, jedis.scriptExists(LuaScripts.BUY.sha()));
        }
        assertEquals(Outcome.TICKET, take());
        assertEquals(2, redis.sold(KEY));
    }

    @Test
    void an_uninitialised_stock_is_unavailable_not_sold_out() {
        try (Jedis jedis = redis.client()) {
            jedis.del(KEY);
        }
        var e = assertThrows(StockUnavailableException.class, this::take);
        assertTrue(e.getMessage().contains("not initialised"), e.getMessage());
        assertThrows(StockUnavailableException.class, stock::snapshot);
    }

    @Test
    void redis_down_is_unavailable_not_sold_out() {
        redis.initStock(KEY, 5);
        redis.stop();
        assertThrows(StockUnavailableException.class, this::take);
        assertThrows(StockUnavailableException.class, stock::snapshot);
        redis.restart();
        assertEquals(Outcome.TICKET, take());
    }
}
