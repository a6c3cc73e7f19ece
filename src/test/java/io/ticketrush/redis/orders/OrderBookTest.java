package io.ticketrush.redis.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.InvalidInputException;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.Terms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** Buy, pay and expire against a real redis-server: the per-user limit, retries and the books. */
class OrderBookTest {
    private static final String KEY = "ticket_hash_key";
    private static RedisServer redis;
    private RedisStore store;
    private GlobalStock stock;
    private OrderBook orders;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        try (Jedis jedis = redis.client()) {
            jedis.flushAll();
        }
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of(
                "rush.redis.pool.size", "64", "rush.redis.pool.wait.ms", "5000", "rush.redis.timeout.ms", "5000",
                "rush.breaker.failures", "1000"))::get));
        stock = store.stockOf(Terms.of(60_000, 1));
        orders = store.orderBook();
    }

    @AfterEach
    void disconnect() {
        store.close();
    }

    private Reservation reserve(String user, long ttl) {
        return stock.reserve(new Buyer(user, null), 3001, Terms.of(ttl, 1));
    }

    @Test
    void a_buyer_gets_one_ticket_and_a_retry_gets_the_same_order() {
        redis.initStock(KEY, 10);
        Reservation first = reserve("alice", 60_000);
        assertEquals(Outcome.TICKET, first.outcome());
        Reservation retry = reserve("alice", 60_000);
        assertEquals(Outcome.EXISTING, retry.outcome());
        assertEquals(first.orderId(), retry.orderId());
        assertEquals(first.deadline(), retry.deadline());
        assertEquals(1, redis.sold(KEY));
        Order order = orders.find(first.orderId()).orElseThrow();
        assertEquals("alice", order.user());
        assertEquals(Order.PENDING, order.state());
        assertEquals(3001, order.node());
        assertEquals(List.of(order), orders.ofUser("alice"));
    }

    @Test
    void a_limit_of_two_allows_two_and_a_request_id_makes_retries_idempotent() {
        redis.initStock(KEY, 10);
        Reservation a = stock.reserve(new Buyer("bob", "r1"), 3001, Terms.of(60_000, 2));
        Reservation again = stock.reserve(new Buyer("bob", "r1"), 3002, Terms.of(60_000, 2));
        Reservation b = stock.reserve(new Buyer("bob", "r2"), 3001, Terms.of(60_000, 2));
        Reservation c = stock.reserve(new Buyer("bob", "r3"), 3001, Terms.of(60_000, 2));
        assertEquals(Outcome.TICKET, a.outcome());
        assertEquals(a.orderId(), again.orderId());
        assertEquals(Outcome.EXISTING, again.outcome());
        assertEquals(Outcome.TICKET, b.outcome());
        assertNotEquals(a.orderId(), b.orderId());
        assertEquals(Outcome.EXISTING, c.outcome(), "the limit is two");
        assertEquals(2, redis.sold(KEY));
        assertEquals(2, orders.ofUser("bob").size());
    }

    @Test
    void a_sold_out_sale_still_answers_a_buyer_with_an_order_with_that_order() {
        redis.initStock(KEY, 1);
        Reservation carol = reserve("carol", 60_000);
        assertEquals(Outcome.SOLD_OUT, reserve("dave", 60_000).outcome());
        assertEquals(carol.orderId(), reserve("carol", 60_000).orderId());
        assertEquals(carol.orderId(), stock.existing(new Buyer("carol", null)).orElseThrow().orderId());
        assertTrue(stock.existing(new Buyer("dave", null)).isEmpty());
    }

    /**
     * A retried request whose order expired unpaid was answered "you already have a ticket" with
     * a deadline in the past. The truth: that order expired, its ticket went back on sale.
     */
    @Test
    void a_request_whose_order_expired_is_told_so_not_that_it_holds_a_ticket() {
        redis.initStock(KEY, 10);
        Reservation first = stock.reserve(new Buyer("gina", "g-1"), 3001, Terms.of(100, 1));
        assertEquals(Outcome.TICKET, first.outcome());
        Deadline.await(Duration.ofSeconds(5), "gina's order to expire", () -> {
            orders.expireAllDue();
            return Order.EXPIRED.equals(orders.find(first.orderId()).orElseThrow().state());
        });
        Reservation retry = stock.reserve(new Buyer("gina", "g-1"), 3002, Terms.of(60_000, 1));
        assertEquals(new Reservation(Outcome.EXPIRED, first.orderId(), first.deadline()), retry);
        assertEquals(Outcome.EXPIRED, stock.existing(new Buyer("gina", "g-1")).orElseThrow().outcome());
        assertEquals(0, redis.sold(KEY), "nothing was taken for the retry");
        assertEquals(Outcome.TICKET, stock.reserve(new Buyer("gina", "g-2"), 3001, Terms.of(60_000, 1)).outcome(),
                "a new request buys again");
    }

    @Test
    void paying_twice_or_too_late_or_for_someone_else_changes_nothing() {
        redis.initStock(KEY, 10);
        String paid = reserve("erin", 60_000).orderId();
        assertEquals(OrderBook.Payment.NOT_YOURS, orders.pay(paid, "mallory"));
        assertEquals(Order.PENDING, orders.find(paid).orElseThrow().state());
        assertEquals(OrderBook.Payment.PAID, orders.pay(paid, "erin"));
        assertEquals(OrderBook.Payment.ALREADY_PAID, orders.pay(paid, "erin"));
        assertEquals(OrderBook.Payment.UNKNOWN, orders.pay("999999", null));

        String late = reserve("frank", 100).orderId();
        Deadline.await(Duration.ofSeconds(5), "frank's deadline to pass",
                () -> orders.find(late).orElseThrow().deadline() < redisNow());
        assertEquals(OrderBook.Payment.EXPIRED, orders.pay(late, "frank"), "a late payment expires the order");
        assertEquals(OrderBook.Payment.EXPIRED, orders.pay(late, "frank"));
        assertEquals(Order.EXPIRED, orders.find(late).orElseThrow().state());
        assertEquals(1, redis.sold(KEY), "frank's ticket went back, exactly once");
        assertEquals(new OrderBook.Counts(1, 1, 0), orders.counts(Sale.DEFAULT));
        assertEquals(0, orders.expireDue(100), "nothing left to expire");
    }

    @Test
    void pay_racing_expiry_at_the_deadline_ends_paid_or_expired_never_both() throws Exception {
        int n = 300;
        redis.initStock(KEY, n);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(reserve("u" + i, 400).orderId());
        }
        assertEquals(n, redis.sold(KEY));
        // Payers and sweepers start together, right around the deadline.
        long deadline = orders.find(ids.get(0)).orElseThrow().deadline();
        ExecutorService threads = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<OrderBook.Payment>> payments = new ArrayList<>();
        List<Future<Integer>> sweeps = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String id = ids.get(i);
                String user = "u" + i;
                payments.add(threads.submit(() -> {
                    go.await();
                    return orders.pay(id, user);
                }));
            }
            for (int i = 0; i < 4; i++) {
                sweeps.add(threads.submit(() -> {
                    go.await();
                    int expired = 0;
                    for (int round = 0; round < 50; round++) {
                        expired += orders.expireDue(25);
                    }
                    return expired;
                }));
            }
            Deadline.await(Duration.ofSeconds(5), "the deadline to come near", () -> redisNow() >= deadline - 60);
            go.countDown();
            int paid = 0;
            int refused = 0;
            for (Future<OrderBook.Payment> payment : payments) {
                OrderBook.Payment result = payment.get(30, TimeUnit.SECONDS);
                if (result == OrderBook.Payment.PAID) {
                    paid++;
                } else {
                    assertEquals(OrderBook.Payment.EXPIRED, result);
                    refused++;
                }
            }
            for (Future<Integer> sweep : sweeps) {
                sweep.get(30, TimeUnit.SECONDS);
            }
            Deadline.await(Duration.ofSeconds(5), "every unpaid order to expire",
                    () -> orders.expireDue(1000) >= 0 && countState(ids, Order.PENDING) == 0);
            long paidOrders = countState(ids, Order.PAID);
            long expiredOrders = countState(ids, Order.EXPIRED);
            assertEquals(paid, paidOrders, "every PAID answer is a paid order, and only those");
            assertEquals(n, paidOrders + expiredOrders);
            assertEquals(refused, expiredOrders);
            assertEquals(paid, redis.sold(KEY), "the global stock took back exactly the expired tickets");
            assertEquals(new OrderBook.Counts(paid, expiredOrders, 0), orders.counts(Sale.DEFAULT));
            System.out.printf("pay vs expire at the deadline: %d paid, %d expired of %d%n", paid, expiredOrders, n);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void expired_tickets_are_sold_again_and_the_books_balance() {
        int total = 50;
        redis.initStock(KEY, total);
        Set<String> firstWave = new HashSet<>();
        for (int i = 0; i < total; i++) {
            firstWave.add(reserve("early" + i, 200).orderId());
        }
        assertEquals(Outcome.SOLD_OUT, reserve("latecomer", 200).outcome());
        for (int i = 0; i < 10; i++) {
            assertEquals(OrderBook.Payment.PAID, orders.pay(new ArrayList<>(firstWave).get(i), null));
        }
        Deadline.await(Duration.ofSeconds(10), "the 40 unpaid orders to expire", () -> {
            orders.expireDue(1000);
            return redis.sold(KEY) == 10;
        });
        Map<Outcome, Integer> secondWave = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            secondWave.merge(reserve("late" + i, 60_000).outcome(), 1, Integer::sum);
        }
        assertEquals(40, secondWave.get(Outcome.TICKET));
        assertEquals(20, secondWave.get(Outcome.SOLD_OUT));
        assertEquals(total, redis.sold(KEY));
        OrderBook.Counts counts = orders.counts(Sale.DEFAULT);
        long pending = redis.sold(KEY) - counts.paid();
        // paid + pending + returned-then-resold... each returned ticket was sold once more
        assertEquals(10, counts.paid());
        assertEquals(40, counts.expired());
        assertEquals(40, pending);
        assertEquals(total, counts.paid() + pending);
        assertEquals(total + counts.expired(), firstWave.size() + 40L, "orders made == total + tickets returned");
    }

    private long redisNow() {
        try (Jedis jedis = redis.client()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        }
    }

    private long countState(List<String> ids, String state) {
        return ids.stream().filter(id -> state.equals(orders.find(id).orElseThrow().state())).count();
    }

    @Test
    void bad_ids_are_refused_before_anything_changes() {
        for (String bad : new String[] {"", "a b", "x".repeat(65), "é", "a/b", "<script>"}) {
            try {
                new Buyer(bad, null);
                throw new AssertionError("accepted user id '" + bad + "'");
            } catch (InvalidInputException expected) {
                assertFalse(expected.getMessage().isBlank());
            }
        }
        new Buyer("x".repeat(64), null);
        new Buyer("alice.smith@example-1_2", "r-1");
    }
}
