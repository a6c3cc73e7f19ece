package io.ticketrush.redis.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.ticketrush.sale.BusyException;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.RedisSettings;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.Pool;

/** A node whose connections are all in use is busy; only Redis failing opens the breaker. */
class RedisCallsTest {
    private RedisServer redis;
    private Pool<Jedis> pool;
    private RedisCalls calls;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        pool = RedisPools.open(RedisSettings.from(redis.asNode(Map.of(
                "rush.redis.pool.size", "1", "rush.redis.pool.wait.ms", "20"))::get));
        calls = new RedisCalls(pool, new CircuitBreaker(1, 60_000, System::nanoTime));
    }

    @AfterEach
    void stop() {
        pool.close();
        redis.close();
    }

    @Test
    void an_exhausted_pool_answers_busy_and_leaves_the_breaker_closed() {
        String inner = calls.call("k", outer -> {
            // the only connection is held here, so the nested call finds the pool empty
            BusyException busy = assertThrows(BusyException.class, () -> calls.call("k", j -> j.ping()));
            return busy.getMessage();
        });
        assertTrue(inner.contains("no Redis connection free"), inner);
        assertFalse(calls.breaker().isOpen(), "a busy node is not a Redis outage");
        assertEquals("PONG", calls.call("k", j -> j.ping()));
    }

    /**
     * A pool grown to its size holds connections that all died with Redis. Handing them one by
     * one to the breaker's half-open probes would keep the breaker open for 32 x 500 ms; the first
     * failure must drop every idle connection, so the next probe opens a fresh one.
     */
    @Test
    void selling_resumes_within_a_second_of_redis_restarting_when_the_pool_is_full_of_dead_connections()
            throws Exception {
        int size = 32;
        RedisSettings settings = RedisSettings.from(redis.asNode(Map.of(
                "rush.redis.pool.size", String.valueOf(size), "rush.redis.pool.wait.ms", "2000"))::get);
        RedisCalls full = new RedisCalls(RedisPools.connections(settings), new CircuitBreaker(3, 500,
                System::nanoTime), ReplicaWaits.of(settings.replication()));
        try {
            CountDownLatch holding = new CountDownLatch(size);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(size);
            try {
                List<Future<String>> pings = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    pings.add(threads.submit(() -> full.call("k", jedis -> {
                        holding.countDown();
                        await(release);
                        return jedis.ping();
                    })));
                }
                assertTrue(holding.await(10, TimeUnit.SECONDS), "every connection of the pool in use at once");
                release.countDown();
                for (Future<String> ping : pings) {
                    assertEquals("PONG", ping.get(10, TimeUnit.SECONDS));
                }
            } finally {
                threads.shutdownNow();
            }
            assertEquals(size, full.idle(), "the pool holds " + size + " idle connections");

            redis.stop();
            redis.restart();
            long back = System.nanoTime();
            long resumed = -1;
            // calls that reached a pooled connection and failed on it (the rest the open breaker refused)
            List<String> deadConnections = new ArrayList<>();
            while (System.nanoTime() - back < TimeUnit.SECONDS.toNanos(20)) {
                try {
                    full.call("k", jedis -> jedis.ping());
                    resumed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
                    break;
                } catch (StockUnavailableException e) {
                    if (e.getCause() != null) {
                        deadConnections.add(e.getMessage());
                    }
                    Thread.sleep(10); // a buyer trying again every 10 ms
                }
            }
            assertTrue(resumed >= 0, "calls work again within 20 s of Redis being back");
            // in order, whatever the machine's speed: the first dead connection met drops the others
            assertTrue(deadConnections.size() <= 1, () -> "calls failed on " + deadConnections.size()
                    + " dead pooled connections after Redis was back, at most 1 (the first: " + deadConnections.get(0)
                    + ")");
            assertTrue(resumed <= TimeScale.ms(1000), "calls work again " + resumed + " ms after Redis is back (at most "
                    + TimeScale.ms(1000) + " ms)");
        } finally {
            full.close();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void redis_gone_opens_the_breaker() {
        redis.stop();
        assertThrows(StockUnavailableException.class, () -> calls.call("k", j -> j.ping()));
        assertTrue(calls.breaker().isOpen());
        assertThrows(StockUnavailableException.class, () -> calls.call("k", j -> j.ping()), "open: fails at once");
    }
}
