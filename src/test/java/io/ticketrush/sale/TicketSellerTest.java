package io.ticketrush.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.settings.NodeSettings;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.Terms;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The two-level sale (local stock, then Redis) against a real redis-server. */
class TicketSellerTest {
    private static final String KEY = "ticket_hash_key";
    private static RedisServer redis;
    private RedisStore store;

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
        // no circuit breaker worth the name: every call is tried
        // and a Redis call waits seconds, not the node's 500 ms: a just-restarted Redis on a busy machine
        // once took longer (a read timeout, not what these tests are about)
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of(
                "rush.redis.pool.size", "64", "rush.redis.pool.wait.ms", "2000", "rush.breaker.failures", "1000",
                "rush.redis.timeout.ms", String.valueOf(TimeScale.ms(5_000))))::get));
    }

    @AfterEach
    void disconnect() {
        store.close();
    }

    /** The buy path's timer, as a node has one: a test's buyers who wait too long are told busy by it. */
    private static final BuyTimer TIMER = new BuyTimer();

    private TicketSeller seller(int local) {
        NodeSettings config = NodeSettings.from(Map.of("rush.stock.local", String.valueOf(local))::get);
        return seller(new LocalStock(local), store.stockOf(Terms.of(60_000, 1)), config);
    }

    /** A seller of {@code local} local tickets over {@code global} whose buyers wait {@code lockWaitMillis} for the lock. */
    private static TicketSeller seller(int local, GlobalStock global, long lockWaitMillis) {
        NodeSettings config = NodeSettings.from(Map.of("rush.stock.local", String.valueOf(local),
                "rush.lock.wait.ms", String.valueOf(lockWaitMillis))::get);
        return seller(new LocalStock(local), global, config);
    }

    /** A seller of the article's sale with {@code config}'s lock wait, limit and time to pay. */
    static TicketSeller seller(LocalStock local, GlobalStock global, NodeSettings config) {
        return new TicketSeller(Terms.of(config.store().orderTtlMillis(), config.store().perUserLimit()), local,
                global, config.lockWaitMillis(), System::currentTimeMillis, TIMER, () -> { });
    }

    private static Purchase buy(TicketSeller seller) {
        return seller.buy(Buyer.ANONYMOUS, 3001);
    }

    @Test
    void an_empty_local_stock_refills_from_the_global_stock_so_nothing_is_left_unsold() {
        redis.initStock(KEY, 5);
        TicketSeller seller = seller(3);
        for (int i = 1; i <= 5; i++) {
            Purchase p = buy(seller);
            assertTrue(p.gotTicket(), "ticket " + i);
            assertEquals(i, p.localSales());
        }
        assertFalse(buy(seller).gotTicket());
        assertEquals(5, redis.sold(KEY));
    }

    @Test
    void once_sold_out_an_anonymous_buyer_is_answered_from_memory_without_redis() {
        redis.initStock(KEY, 1);
        TicketSeller seller = seller(3);
        assertTrue(buy(seller).gotTicket());
        assertFalse(buy(seller).gotTicket());
        redis.stop();
        for (int i = 0; i < 100; i++) {
            assertEquals(Outcome.SOLD_OUT, buy(seller).outcome());
        }
    }

    @Test
    void the_global_stock_limits_a_node_with_a_larger_local_stock() {
        redis.initStock(KEY, 2);
        TicketSeller seller = seller(10);
        assertTrue(buy(seller).gotTicket());
        assertTrue(buy(seller).gotTicket());
        assertFalse(buy(seller).gotTicket());
        assertEquals(2, redis.sold(KEY));
        assertEquals(2, seller.local().sold(), "the refused local ticket was given back");
        assertFalse(seller.local().hasStock(), "once the global stock is gone, sold out is answered from memory");
    }

    @Test
    void redis_down_gives_the_local_ticket_back_and_sells_again_when_redis_returns() {
        redis.initStock(KEY, 5);
        TicketSeller seller = seller(5);
        assertTrue(buy(seller).gotTicket());
        redis.stop();
        for (int i = 0; i < 3; i++) {
            assertThrows(StockUnavailableException.class, () -> buy(seller));
        }
        assertEquals(1, seller.local().sold(), "every local ticket taken during the outage was given back");
        assertEquals(4, seller.local().remaining());
        redis.restart();
        for (int i = 0; i < 4; i++) {
            assertTrue(buy(seller).gotTicket());
        }
        assertFalse(buy(seller).gotTicket());
        assertEquals(5, redis.sold(KEY));
    }

    @Test
    void threads_released_together_sell_exactly_the_stock() throws Exception {
        int threads = 256;
        int total = 100;
        redis.initStock(KEY, total);
        TicketSeller seller = seller(150);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Purchase>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return buy(seller);
                }));
            }
            start.countDown();
            int tickets = 0;
            for (Future<Purchase> result : results) {
                if (result.get(30, TimeUnit.SECONDS).gotTicket()) {
                    tickets++;
                }
            }
            assertEquals(total, tickets);
            assertEquals(total, redis.sold(KEY));
            assertEquals(total, seller.local().sold());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void buyers_who_queue_while_redis_answers_are_served_by_one_call_each_with_its_own_order() throws Exception {
        redis.initStock(KEY, 100);
        HeldStock held = new HeldStock(store.stockOf(Terms.of(60_000, 1)));
        TicketSeller seller = seller(100, held, 30000);
        int queued = 10;
        List<Buyer> behind = new ArrayList<>();
        for (int i = 0; i < queued; i++) {
            // user-0 twice: the repeat in the same call must get user-0's one order
            behind.add(new Buyer("user-" + (i == queued - 1 ? 0 : i), null));
        }
        ExecutorService buyers = Executors.newFixedThreadPool(queued + 1);
        try {
            List<Future<Purchase>> rest = new ArrayList<>();
            Future<Purchase> first = queueBehindHeldCall(seller, held, buyers, new Buyer("first", null), behind, rest);
            assertTrue(first.get(10, TimeUnit.SECONDS).gotTicket());
            java.util.Set<String> orderIds = new java.util.HashSet<>();
            for (int i = 0; i < queued - 1; i++) {
                Purchase p = rest.get(i).get(10, TimeUnit.SECONDS);
                assertTrue(p.gotTicket(), "buyer " + i);
                assertTrue(orderIds.add(p.orderId()), "order ids are distinct");
            }
            Purchase repeat = rest.get(queued - 1).get(10, TimeUnit.SECONDS);
            assertEquals(Outcome.EXISTING, repeat.outcome());
            assertEquals(rest.get(0).get().orderId(), repeat.orderId());
            assertEquals(List.of(1, queued), held.batchSizes, "the queued buyers took one Redis call");
            assertEquals(queued, redis.sold(KEY));
            assertEquals(queued, seller.local().sold(), "the repeat's local ticket was given back");
        } finally {
            buyers.shutdownNow();
        }
    }

    @Test
    void a_buyer_who_waits_past_the_lock_wait_is_told_busy_and_nothing_is_sold_for_it() throws Exception {
        redis.initStock(KEY, 10); // Redis keeps the other tests' users and orders: these users are new
        HeldStock held = new HeldStock(store.stockOf(Terms.of(60_000, 1)));
        TicketSeller seller = seller(10, held, 200);
        ExecutorService buyers = Executors.newFixedThreadPool(2);
        try {
            Future<Purchase> first = buyers.submit(() -> seller.buy(new Buyer("holder", null), 3001));
            assertTrue(held.firstCallHeld.await(10, TimeUnit.SECONDS));
            Future<Purchase> late = buyers.submit(() -> seller.buy(new Buyer("too-late", null), 3001));
            java.util.concurrent.ExecutionException busy = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> late.get(10, TimeUnit.SECONDS));
            assertTrue(busy.getCause() instanceof BusyException, busy.toString());
            assertEquals(0, seller.queued(), "the busy buyer left the queue");
            held.release.countDown();
            Purchase firstGot = first.get(10, TimeUnit.SECONDS);
            assertTrue(firstGot.gotTicket(), firstGot.toString());
            assertTrue(seller.buy(new Buyer("after-the-holder", null), 3001).gotTicket(), "the node sells on");
            assertEquals(List.of(1, 1), held.batchSizes);
            assertEquals(2, redis.sold(KEY));
            assertEquals(2, seller.local().sold());
        } finally {
            buyers.shutdownNow();
        }
    }

    @Test
    void sold_out_buyers_who_may_hold_an_order_are_looked_up_together_in_one_call() throws Exception {
        redis.initStock(KEY, 1);
        HeldStock held = new HeldStock(store.stockOf(Terms.of(60_000, 1)));
        TicketSeller seller = seller(1, held, 30000);
        int queued = 10;
        // behind the last ticket's call: the winner again, an anonymous buyer without a request id
        // (nothing to look up for it) and eight losers
        List<Buyer> behind = new ArrayList<>(List.of(new Buyer("winner", null), Buyer.ANONYMOUS));
        for (int i = 2; i < queued; i++) {
            behind.add(new Buyer("loser-" + i, null));
        }
        ExecutorService buyers = Executors.newFixedThreadPool(queued + 1);
        try {
            List<Future<Purchase>> rest = new ArrayList<>();
            Future<Purchase> first = queueBehindHeldCall(seller, held, buyers, new Buyer("winner", null), behind, rest);
            Purchase won = first.get(10, TimeUnit.SECONDS);
            assertTrue(won.gotTicket(), won.toString());
            Purchase again = rest.get(0).get(10, TimeUnit.SECONDS);
            assertEquals(Outcome.EXISTING, again.outcome(), again.toString());
            assertEquals(won.orderId(), again.orderId());
            for (int i = 1; i < queued; i++) {
                assertEquals(Outcome.SOLD_OUT, rest.get(i).get(10, TimeUnit.SECONDS).outcome(), "buyer " + i);
            }
            assertEquals(List.of(queued - 1), held.lookups, "one lookup call for every buyer who may hold an order");
            assertEquals(0, held.singleLookups.get(), "no lookup of one buyer alone");
            assertEquals(1, redis.sold(KEY));
        } finally {
            buyers.shutdownNow();
        }
    }

    /**
     * {@code first} buys, its call held by {@code held}; then {@code behind} queue one after the other
     * (in this order, each in line before the next comes), their answers added to {@code rest}; then
     * the call goes on. First's answer.
     */
    private static Future<Purchase> queueBehindHeldCall(TicketSeller seller, HeldStock held, ExecutorService pool,
            Buyer first, List<Buyer> behind, List<Future<Purchase>> rest) throws InterruptedException {
        Future<Purchase> firstBuy = pool.submit(() -> seller.buy(first, 3001));
        assertTrue(held.firstCallHeld.await(10, TimeUnit.SECONDS));
        for (Buyer buyer : behind) {
            rest.add(pool.submit(() -> seller.buy(buyer, 3001)));
            int inLine = rest.size();
            io.ticketrush.support.Deadline.await(java.time.Duration.ofSeconds(10), inLine + " buyers to queue",
                    () -> seller.queued() == inLine);
        }
        held.release.countDown();
        return firstBuy;
    }

    /** The real global stock, whose first call waits for {@link #release}: buyers queue behind it. */
    private static final class HeldStock implements GlobalStock {
        final CountDownLatch firstCallHeld = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final List<Integer> lookups = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger singleLookups = new java.util.concurrent.atomic.AtomicInteger();
        private final GlobalStock real;

        HeldStock(GlobalStock real) {
            this.real = real;
        }

        @Override
        public List<Reservation> reserveAll(List<Request> requests, Sale sale) {
            batchSizes.add(requests.size());
            if (batchSizes.size() == 1) {
                firstCallHeld.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return real.reserveAll(requests, sale);
        }

        @Override
        public java.util.Optional<Reservation> existing(Buyer buyer) {
            singleLookups.incrementAndGet();
            return real.existing(buyer);
        }

        @Override
        public List<java.util.Optional<Reservation>> existingAll(List<Buyer> buyers) {
            lookups.add(buyers.size());
            return real.existingAll(buyers);
        }

        @Override
        public Snapshot snapshot() {
            return real.snapshot();
        }
    }
}
