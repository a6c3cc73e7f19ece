package io.ticketrush.redis.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntToLongFunction;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
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
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

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

    /**
     * Payers and sweepers let loose together on three groups of orders: some already past their
     * deadline (each must end expired, whoever gets to it first, the payer's own check or a sweep),
     * some with minutes left (each must end paid: no sweep may take them) and some whose deadline
     * falls while the race runs (either, but one). So both outcomes happen every run, and every
     * order is paid or expired exactly once: one event for it, its ticket back only if it expired.
     * The sweepers join once a payer has been refused for an order past its deadline, so that the
     * payers' own check is seen to work too, not only the sweeps'.
     */
    @Test
    void pay_racing_expiry_ends_each_order_paid_or_expired_exactly_once() throws Exception {
        int perGroup = 100;
        int n = 3 * perGroup;
        redis.initStock(KEY, n);
        List<String> due = reserveMany("due", perGroup, i -> 1);
        List<String> far = reserveMany("far", perGroup, i -> 600_000);
        // deadlines spread over the time the payments take, so that some fall right among them
        List<String> edge = reserveMany("edge", perGroup, i -> TimeScale.ms(500) + 3L * i);
        assertEquals(n, redis.sold(KEY));
        long lastDue = orders.find(due.get(perGroup - 1)).orElseThrow().deadline();
        long firstEdge = orders.find(edge.get(0)).orElseThrow().deadline();
        Map<String, String> userOf = new HashMap<>();
        List<String> all = new ArrayList<>(due);
        all.addAll(far);
        all.addAll(edge);
        for (String id : all) {
            userOf.put(id, orders.find(id).orElseThrow().user());
        }
        List<String> payOrder = new ArrayList<>(all);
        Collections.shuffle(payOrder, new Random(16));
        ExecutorService threads = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch refused = new CountDownLatch(1);
        AtomicBoolean paying = new AtomicBoolean(true);
        Map<String, Future<OrderBook.Payment>> payments = new HashMap<>();
        List<Future<Integer>> sweeps = new ArrayList<>();
        Map<String, OrderBook.Payment> answers = new HashMap<>();
        int swept = 0;
        try {
            for (int i = 0; i < 4; i++) {
                sweeps.add(threads.submit(() -> {
                    refused.await();
                    int expired = 0;
                    do {
                        expired += orders.expireDue(25);
                    } while (paying.get());
                    return expired;
                }));
            }
            for (String id : payOrder) {
                payments.put(id, threads.submit(() -> {
                    go.await();
                    OrderBook.Payment payment = orders.pay(id, userOf.get(id));
                    if (payment == OrderBook.Payment.EXPIRED) {
                        refused.countDown();
                    }
                    return payment;
                }));
            }
            Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "the edge group's deadlines to come near",
                    () -> redisNow() >= firstEdge - 20);
            assertTrue(redisNow() > lastDue, "the due group is past its deadlines before the race starts");
            go.countDown();
            for (Map.Entry<String, Future<OrderBook.Payment>> payment : payments.entrySet()) {
                answers.put(payment.getKey(), payment.getValue().get(30, TimeUnit.SECONDS));
            }
            paying.set(false);
            refused.countDown(); // if no payer was refused, the checks below say so
            for (Future<Integer> sweep : sweeps) {
                swept += sweep.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        // the edge group's unpaid orders fall due by now or soon: sweep until none is pending
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "every unpaid order to expire", () -> {
            orders.expireAllDue();
            return countState(all, Order.PENDING) == 0;
        });

        for (String id : due) {
            assertEquals(OrderBook.Payment.EXPIRED, answers.get(id), () -> "order " + id + " was past its deadline");
            assertEquals(Order.EXPIRED, orders.find(id).orElseThrow().state(), id);
        }
        for (String id : far) {
            assertEquals(OrderBook.Payment.PAID, answers.get(id), () -> "order " + id + " had minutes left");
            assertEquals(Order.PAID, orders.find(id).orElseThrow().state(), id);
        }
        for (String id : edge) {
            OrderBook.Payment answer = answers.get(id);
            String state = orders.find(id).orElseThrow().state();
            assertEquals(answer == OrderBook.Payment.PAID ? Order.PAID : Order.EXPIRED, state,
                    () -> "order " + id + " answered " + answer);
            assertTrue(answer == OrderBook.Payment.PAID || answer == OrderBook.Payment.EXPIRED,
                    () -> "order " + id + " answered " + answer);
        }
        long paid = countState(all, Order.PAID);
        long expired = countState(all, Order.EXPIRED);
        assertEquals(n, paid + expired);
        assertEquals(answers.values().stream().filter(a -> a == OrderBook.Payment.PAID).count(), paid,
                "every PAID answer is a paid order, and only those");
        assertEquals(paid, redis.sold(KEY), "the global stock took back exactly the expired tickets");
        assertEquals(new OrderBook.Counts(paid, expired, 0), orders.counts(Sale.DEFAULT));

        // each order closed by exactly one script: one event of its end, none of the other
        Map<String, List<String>> endsOf = new HashMap<>();
        try (Jedis jedis = redis.client()) {
            for (StreamEntry event : jedis.xrange(Keys.ofDefault(KEY).orderStream(), (StreamEntryID) null, null)) {
                String name = event.getFields().get(Keys.EVENT);
                if (!Keys.CREATED_EVENT.equals(name)) {
                    endsOf.computeIfAbsent(event.getFields().get(Keys.ID), id -> new ArrayList<>()).add(name);
                }
            }
        }
        for (String id : all) {
            String state = orders.find(id).orElseThrow().state();
            assertEquals(List.of(state), endsOf.get(id), () -> "the events that ended order " + id);
        }
        System.out.printf("pay vs expire: %d paid, %d expired of %d (at the edge: %d paid); the racing sweeps"
                + " expired %d%n", paid, expired, n, edge.stream().filter(id -> answers.get(id) == OrderBook.Payment.PAID)
                .count(), swept);
    }

    /** {@code count} orders of users {@code prefix}0.., the i-th with {@code payWithin(i)} ms to pay, in that order. */
    private List<String> reserveMany(String prefix, int count, IntToLongFunction payWithin) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Reservation reservation = reserve(prefix + i, payWithin.applyAsLong(i));
            assertEquals(Outcome.TICKET, reservation.outcome());
            ids.add(reservation.orderId());
        }
        return ids;
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
