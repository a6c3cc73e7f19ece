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
import java.util.Optional;
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
import io.ticketrush.order.Payment;
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
import io.ticketrush.support.Payments;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.RedisSnapshot;
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

/** Buy, pay (start, then the provider's word) and expire against a real redis-server: the per-user limit, retries and the books. */
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
    void a_payment_is_started_by_its_buyer_and_only_the_providers_word_pays_the_order_once() {
        redis.initStock(KEY, 10);
        String paid = reserve("erin", 60_000).orderId();
        assertEquals(new Payment.Started(Payment.Start.NOT_YOURS, null), orders.startPayment(paid, "mallory", 1000));
        Payment.Started started = orders.startPayment(paid, "erin", 1000);
        assertEquals(Payment.Start.STARTED, started.outcome());
        Payment payment = started.payment();
        assertEquals(new Payment(payment.id(), paid, 1000, Payment.STARTED), payment);
        assertEquals(new Payment.Started(Payment.Start.RESUMED, payment), orders.startPayment(paid, "erin", 1000),
                "asking again while it is under way answers the same payment");
        assertEquals(Optional.of(payment), orders.payment(payment.id()));
        assertEquals(Order.PENDING, orders.find(paid).orElseThrow().state(), "started is not paid");

        String event = Payments.eventId();
        Payment.Notice notice = new Payment.Notice(event, payment.id(), paid, 1000);
        assertEquals(new Payment.Confirmed(Payment.Confirmation.PAID, false), orders.confirmPayment(notice, 60_000));
        assertEquals(Order.PAID, orders.find(paid).orElseThrow().state());
        assertEquals(Payment.SUCCEEDED, orders.payment(payment.id()).orElseThrow().state());
        assertEquals(new Payment.Confirmed(Payment.Confirmation.PAID, true), orders.confirmPayment(notice, 60_000),
                "the same event again: the first answer, applied once");
        assertEquals(new Payment.Confirmed(Payment.Confirmation.ALREADY_PAID, false),
                orders.confirmPayment(new Payment.Notice(Payments.eventId(), payment.id(), paid, 1000), 60_000),
                "another event for the same payment pays nothing more");
        assertEquals(Payment.Start.ALREADY_PAID, orders.startPayment(paid, "erin", 1000).outcome());
        assertEquals(Payment.Start.UNKNOWN, orders.startPayment("999999", null, 1000).outcome());
        assertEquals(new OrderBook.Counts(1, 0, 0), orders.counts(Sale.DEFAULT), "paid once");
        assertEquals(1, paidEvents(), "one paid event for the writer");
        assertEquals(1, redis.sold(KEY));
    }

    @Test
    void an_event_that_names_no_payment_or_another_order_or_amount_changes_nothing() {
        redis.initStock(KEY, 10);
        String id = reserve("gus", 60_000).orderId();
        String other = reserve("hal", 60_000).orderId();
        Payment payment = Payments.start(orders, id, 1000);
        Map<String, String> before = everything();
        for (Payment.Notice notice : List.of(
                new Payment.Notice(Payments.eventId(), payment.id(), id, 999),
                new Payment.Notice(Payments.eventId(), payment.id(), other, 1000),
                new Payment.Notice(Payments.eventId(), Payment.newId(Sale.DEFAULT), id, 1000),
                new Payment.Notice(Payments.eventId(), Payment.newId("NOSUCHSALE"), id, 1000))) {
            Payment.Confirmation expected = notice.paymentId().equals(payment.id()) ? Payment.Confirmation.MISMATCH
                    : Payment.Confirmation.UNKNOWN;
            assertEquals(new Payment.Confirmed(expected, false), orders.confirmPayment(notice, 60_000), notice.toString());
            assertEquals(before, everything(), notice + " changed Redis");
        }
        assertEquals(Order.PENDING, orders.find(id).orElseThrow().state());
    }

    @Test
    void money_after_the_deadline_is_a_refund_due_and_never_pays_the_order() {
        redis.initStock(KEY, 10);
        String late = reserve("frank", 300).orderId();
        Payment payment = Payments.start(orders, late, 1000);
        Deadline.await(Duration.ofSeconds(5), "frank's deadline to pass",
                () -> orders.find(late).orElseThrow().deadline() < redisNow());
        assertEquals(new Payment.Confirmed(Payment.Confirmation.REFUND_DUE, false), Payments.confirm(orders, payment),
                "the provider's word after the deadline: the order expires, the money is owed back");
        assertEquals(Order.EXPIRED, orders.find(late).orElseThrow().state());
        assertEquals(Payment.REFUND_DUE, orders.payment(payment.id()).orElseThrow().state());
        assertEquals(new Payment.Confirmed(Payment.Confirmation.REFUND_DUE, false), Payments.confirm(orders, payment),
                "another event for it: still a refund due, recorded once");
        assertEquals(Payment.Start.EXPIRED, orders.startPayment(late, "frank", 1000).outcome());
        assertEquals(0, redis.sold(KEY), "frank's ticket went back, exactly once");
        assertEquals(new OrderBook.Counts(0, 1, 0), orders.counts(Sale.DEFAULT));
        try (Jedis jedis = redis.client()) {
            assertEquals("1", jedis.hget(KEY, Keys.REFUNDS_DUE), "one refund due");
            List<StreamEntry> events = jedis.xrange(Keys.ofDefault(KEY).orderStream(), (StreamEntryID) null, null);
            assertEquals(List.of("created", "expired", "refund_due"), events.stream()
                    .map(e -> e.getFields().get(Keys.EVENT)).toList());
            assertEquals(Map.of(Keys.PAYMENT_ID, payment.id(), Keys.AMOUNT, "1000", Keys.STATE, "expired"),
                    Map.of(Keys.PAYMENT_ID, events.get(2).getFields().get(Keys.PAYMENT_ID), Keys.AMOUNT,
                            events.get(2).getFields().get(Keys.AMOUNT), Keys.STATE,
                            events.get(2).getFields().get(Keys.STATE)));
        }

        String voided = reserve("vera", 60_000).orderId();
        Payment toVoid = Payments.start(orders, voided, 1000);
        try (Jedis jedis = redis.client()) {
            // as VOID leaves an order whose buyer was answered 503 (the unit under test is the payment)
            String packed = jedis.hget(Keys.ofDefault(KEY).orders(), voided);
            jedis.hset(Keys.ofDefault(KEY).orders(), voided, Order.VOIDED + packed.substring(Order.PENDING.length()));
        }
        assertEquals(Payment.Confirmation.REFUND_DUE, Payments.confirm(orders, toVoid).outcome(),
                "money for a voided order is owed back too");
        assertEquals(Order.VOIDED, orders.find(voided).orElseThrow().state());
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
    void a_reset_drops_the_sales_payments_with_its_orders() {
        redis.initStock(KEY, 10);
        Payment paid = Payments.start(orders, reserve("ida", 60_000).orderId(), 1000);
        assertEquals(Payment.Confirmation.PAID, Payments.confirm(orders, paid).outcome());
        Payments.start(orders, reserve("jo", 60_000).orderId(), 1000);
        Keys keys = Keys.ofDefault(KEY);
        try (Jedis jedis = redis.client()) {
            jedis.hset(KEY, Keys.REFUNDS_DUE, "3");
            assertEquals(2, jedis.hlen(keys.payments()));
            assertEquals(2, jedis.hlen(keys.orderPayments()));
        }
        assertEquals(2, store.admin().reset(Sale.DEFAULT, 10), "two orders dropped");
        try (Jedis jedis = redis.client()) {
            assertFalse(jedis.exists(keys.payments()), "the sale's payments went with its orders");
            assertFalse(jedis.exists(keys.orderPayments()));
            assertEquals(null, jedis.hget(KEY, Keys.REFUNDS_DUE), "its refunds due counted afresh");
        }
        assertEquals(Optional.empty(), orders.payment(paid.id()));
    }

    /**
     * The provider's word racing the sweep, driven so that both outcomes must happen: orders whose
     * deadline passed before the race (their money is owed back), orders with minutes left (paid),
     * and orders whose deadlines fall among the confirmations (either, exactly once). Sweepers join
     * once a confirmation has been refused for lateness, so the confirm script's own deadline check
     * is exercised in every run, not only the sweep's.
     */
    @Test
    void the_providers_word_racing_expiry_ends_each_order_paid_or_refund_due_exactly_once() throws Exception {
        int perGroup = 100;
        int n = 3 * perGroup;
        redis.initStock(KEY, n);
        Map<String, Payment> paymentOf = new HashMap<>();
        List<String> due = reserveAndStart("due", perGroup, i -> TimeScale.ms(2000), paymentOf);
        List<String> far = reserveAndStart("far", perGroup, i -> 600_000, paymentOf);
        // deadlines spread over the time the confirmations take, so that some fall right among them
        List<String> edge = reserveAndStart("edge", perGroup, i -> TimeScale.ms(4000) + 3L * i, paymentOf);
        assertEquals(n, redis.sold(KEY));
        long lastDue = orders.find(due.get(perGroup - 1)).orElseThrow().deadline();
        long firstEdge = orders.find(edge.get(0)).orElseThrow().deadline();
        List<String> all = new ArrayList<>(due);
        all.addAll(far);
        all.addAll(edge);
        List<String> confirmOrder = new ArrayList<>(all);
        Collections.shuffle(confirmOrder, new Random(16));
        ExecutorService threads = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch refused = new CountDownLatch(1);
        AtomicBoolean confirming = new AtomicBoolean(true);
        Map<String, Future<Payment.Confirmed>> confirmations = new HashMap<>();
        List<Future<Integer>> sweeps = new ArrayList<>();
        Map<String, Payment.Confirmation> answers = new HashMap<>();
        int swept = 0;
        try {
            for (int i = 0; i < 4; i++) {
                sweeps.add(threads.submit(() -> {
                    refused.await();
                    int expired = 0;
                    do {
                        expired += orders.expireDue(25);
                    } while (confirming.get());
                    return expired;
                }));
            }
            for (String id : confirmOrder) {
                confirmations.put(id, threads.submit(() -> {
                    go.await();
                    Payment.Confirmed confirmed = Payments.confirm(orders, paymentOf.get(id));
                    if (confirmed.outcome() == Payment.Confirmation.REFUND_DUE) {
                        refused.countDown();
                    }
                    return confirmed;
                }));
            }
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the edge group's deadlines to come near",
                    () -> redisNow() >= firstEdge - 20);
            assertTrue(redisNow() > lastDue, "the due group is past its deadlines before the race starts");
            go.countDown();
            for (Map.Entry<String, Future<Payment.Confirmed>> confirmed : confirmations.entrySet()) {
                Payment.Confirmed result = confirmed.getValue().get(30, TimeUnit.SECONDS);
                assertFalse(result.repeated(), confirmed.getKey());
                answers.put(confirmed.getKey(), result.outcome());
            }
            confirming.set(false);
            refused.countDown(); // if no confirmation was refused, the checks below say so
            for (Future<Integer> sweep : sweeps) {
                swept += sweep.get(30, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "every unpaid order to expire", () -> {
            orders.expireAllDue();
            return countState(all, Order.PENDING) == 0;
        });

        for (String id : due) {
            assertEquals(Payment.Confirmation.REFUND_DUE, answers.get(id), () -> "order " + id
                    + " was past its deadline");
            assertEquals(Order.EXPIRED, orders.find(id).orElseThrow().state(), id);
        }
        for (String id : far) {
            assertEquals(Payment.Confirmation.PAID, answers.get(id), () -> "order " + id + " had minutes left");
            assertEquals(Order.PAID, orders.find(id).orElseThrow().state(), id);
        }
        for (String id : edge) {
            Payment.Confirmation answer = answers.get(id);
            assertTrue(answer == Payment.Confirmation.PAID || answer == Payment.Confirmation.REFUND_DUE,
                    () -> "order " + id + " answered " + answer);
            assertEquals(answer == Payment.Confirmation.PAID ? Order.PAID : Order.EXPIRED,
                    orders.find(id).orElseThrow().state(), () -> "order " + id + " answered " + answer);
        }
        long paid = countState(all, Order.PAID);
        long expired = countState(all, Order.EXPIRED);
        assertEquals(n, paid + expired);
        assertEquals(answers.values().stream().filter(a -> a == Payment.Confirmation.PAID).count(), paid,
                "every PAID answer is a paid order, and only those");
        assertEquals(paid, redis.sold(KEY), "the global stock took back exactly the expired tickets");
        assertEquals(new OrderBook.Counts(paid, expired, 0), orders.counts(Sale.DEFAULT));

        // each order ended by exactly one script: paid, or expired and its money owed back once
        Map<String, List<String>> endsOf = new HashMap<>();
        try (Jedis jedis = redis.client()) {
            assertEquals(expired, Long.parseLong(jedis.hget(KEY, Keys.REFUNDS_DUE)), "one refund due per expired"
                    + " order, every one of which had its money confirmed");
            for (StreamEntry event : jedis.xrange(Keys.ofDefault(KEY).orderStream(), (StreamEntryID) null, null)) {
                String name = event.getFields().get(Keys.EVENT);
                if (!Keys.CREATED_EVENT.equals(name)) {
                    endsOf.computeIfAbsent(event.getFields().get(Keys.ID), id -> new ArrayList<>()).add(name);
                }
            }
        }
        for (String id : all) {
            String state = orders.find(id).orElseThrow().state();
            assertEquals(Order.PAID.equals(state) ? List.of(Order.PAID) : List.of(Order.EXPIRED, "refund_due"),
                    endsOf.get(id), () -> "the events that ended order " + id);
        }
        System.out.printf("the provider's word vs expiry: %d paid, %d expired with their money owed back, of %d"
                + " (at the edge: %d paid); the racing sweeps expired %d%n", paid, expired, n, edge.stream()
                .filter(id -> answers.get(id) == Payment.Confirmation.PAID).count(), swept);
    }

    /**
     * {@code count} orders of users {@code prefix}0.., the i-th with {@code payWithin(i)} ms to pay,
     * each with its payment started at once (well before its deadline); their payments into {@code paymentOf}.
     */
    private List<String> reserveAndStart(String prefix, int count, IntToLongFunction payWithin,
            Map<String, Payment> paymentOf) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Reservation reservation = reserve(prefix + i, payWithin.applyAsLong(i));
            assertEquals(Outcome.TICKET, reservation.outcome());
            ids.add(reservation.orderId());
            paymentOf.put(reservation.orderId(), Payments.start(orders, reservation.orderId(), 1000));
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
            assertEquals(Payment.Confirmation.PAID, Payments.pay(orders, new ArrayList<>(firstWave).get(i)));
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

    /** Everything in Redis (what a request that changes nothing leaves alone). */
    private Map<String, String> everything() {
        try (Jedis jedis = redis.client()) {
            return RedisSnapshot.of(jedis);
        }
    }

    private long paidEvents() {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(Keys.ofDefault(KEY).orderStream(), (StreamEntryID) null, null).stream()
                    .filter(e -> Order.PAID.equals(e.getFields().get(Keys.EVENT))).count();
        }
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
