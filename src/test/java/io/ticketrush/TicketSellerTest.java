package io.ticketrush;

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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.ticketrush.support.RedisServer;
import redis.clients.jedis.JedisPool;

/** The two-level sale (local stock, then Redis) against a real redis-server. */
class TicketSellerTest {
    private static final String KEY = "ticket_hash_key";
    private static RedisServer redis;
    private JedisPool pool;

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
        pool = RushApp.newPool(Config.from(Map.of("rush.redis.port", String.valueOf(redis.port()),
                "rush.redis.pool.size", "64", "rush.redis.pool.wait.ms", "2000")::get));
    }

    @AfterEach
    void disconnect() {
        pool.close();
    }

    private TicketSeller seller(int local) {
        return new TicketSeller(new LocalStock(local), new RedisGlobalStock(pool, KEY), 5000);
    }

    @Test
    void the_local_stock_limits_a_node_even_when_the_global_stock_has_more() {
        redis.initStock(KEY, 100);
        TicketSeller seller = seller(3);
        for (int i = 1; i <= 3; i++) {
            TicketSeller.Purchase p = seller.buy();
            assertTrue(p.gotTicket());
            assertEquals(i, p.localSales());
        }
        assertFalse(seller.buy().gotTicket());
        assertEquals(3, redis.sold(KEY));
    }

    @Test
    void the_global_stock_limits_a_node_with_a_larger_local_stock() {
        redis.initStock(KEY, 2);
        TicketSeller seller = seller(10);
        assertTrue(seller.buy().gotTicket());
        assertTrue(seller.buy().gotTicket());
        assertFalse(seller.buy().gotTicket());
        assertEquals(2, redis.sold(KEY));
        assertEquals(2, seller.local().sold(), "the refused local ticket was given back");
        assertFalse(seller.local().hasStock(), "once the global stock is gone, sold out is answered from memory");
    }

    @Test
    void redis_down_gives_the_local_ticket_back_and_sells_again_when_redis_returns() {
        redis.initStock(KEY, 10);
        TicketSeller seller = seller(5);
        assertTrue(seller.buy().gotTicket());
        redis.stop();
        for (int i = 0; i < 3; i++) {
            assertThrows(StockUnavailableException.class, seller::buy);
        }
        assertEquals(1, seller.local().sold(), "every local ticket taken during the outage was given back");
        assertEquals(4, seller.local().remaining());
        redis.restart();
        for (int i = 0; i < 4; i++) {
            assertTrue(seller.buy().gotTicket());
        }
        assertFalse(seller.buy().gotTicket());
        assertEquals(5, redis.sold(KEY));
    }

    @Test
    void threads_released_together_sell_exactly_the_stock() throws Exception {
        int threads = 256;
        int local = 100;
        redis.initStock(KEY, 1000);
        TicketSeller seller = seller(local);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<TicketSeller.Purchase>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return seller.buy();
                }));
            }
            start.countDown();
            int tickets = 0;
            for (Future<TicketSeller.Purchase> result : results) {
                if (result.get(30, TimeUnit.SECONDS).gotTicket()) {
                    tickets++;
                }
            }
            assertEquals(local, tickets);
            assertEquals(local, redis.sold(KEY));
            assertEquals(local, seller.local().sold());
        } finally {
            pool.shutdownNow();
        }
    }
}
