package io.ticketrush.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import io.ticketrush.Config;
import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;

/** A node whose connections are all in use is busy; only Redis failing opens the breaker. */
class RedisCallsTest {
    private RedisServer redis;
    private JedisPool pool;
    private RedisCalls calls;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        pool = RedisPools.open(Config.from(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.redis.pool.size", "1", "rush.redis.pool.wait.ms", "20")::get));
        calls = new RedisCalls(pool, new CircuitBreaker(1, 60_000, System::nanoTime));
    }

    @AfterEach
    void stop() {
        pool.close();
        redis.close();
    }

    @Test
    void an_exhausted_pool_answers_busy_and_leaves_the_breaker_closed() {
        String inner = calls.call(outer -> {
            // the only connection is held here, so the nested call finds the pool empty
            BusyException busy = assertThrows(BusyException.class, () -> calls.call(j -> j.ping()));
            return busy.getMessage();
        });
        assertTrue(inner.contains("no Redis connection free"), inner);
        assertFalse(calls.breaker().isOpen(), "a busy node is not a Redis outage");
        assertEquals("PONG", calls.call(j -> j.ping()));
    }

    @Test
    void redis_gone_opens_the_breaker() {
        redis.stop();
        assertThrows(StockUnavailableException.class, () -> calls.call(j -> j.ping()));
        assertTrue(calls.breaker().isOpen());
        assertThrows(StockUnavailableException.class, () -> calls.call(j -> j.ping()), "open: fails at once");
    }
}
