package io.ticketrush.queue;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.queue.QueueAnswer.State;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.redis.script.RoomReply;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TcpProxy;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The waiting room against a real Redis (docs/queue.md): the lottery before the opening and arrival
 * order after it, admission at the sale's rate on an injectable clock, a lapsed pass giving its turn
 * on, the waitlist served in order by tickets that come back, one place per user, and polls that
 * cost the store nothing while nothing changed.
 */
class WaitingRoomTest {
    private static final Executor DIRECT = Runnable::run;
    private static RedisServer redis;

    private RedisStore store;
    private OrderBook orders;
    private final QueueTokens tokens = QueueTokens.ofRandomKey();
    /** The room's clock: Redis's, unless a test sets a moment of its own here. */
    private final AtomicLong fixed = new AtomicLong();
    private WaitingRoom room;

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
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of("rush.redis.timeout.ms", "5000",
                "rush.breaker.failures", "1000"))::get));
        orders = store.orderBook();
    }

    @AfterEach
    void disconnect() {
        if (room != null) {
            room.close();
        }
        store.close();
    }

    private long now() {
        long at = fixed.get();
        return at != 0 ? at : store.catalog().now();
    }

    private WaitingRoom room(DoubleSupplier lottery, long passMillis) {
        room = new WaitingRoom(store.queue(), tokens, this::now, lottery, passMillis, 0, 1000);
        return room;
    }

    /** A queued sale of {@code total} tickets, opening {@code leadMillis} from now on Redis's clock. */
    private Sale queued(String id, long total, int rate, long leadMillis, long payMillis) {
        long opens = store.catalog().now() + leadMillis;
        return store.admin().create(new Sale(id, id, total, opens, 0, 1, payMillis, 0, 0, true).withQueue(rate, 0));
    }

    /**
     * Opens {@code sale} now on Redis's clock: the joins made before came before the opening however
     * slowly the machine ran them. The sale as the store holds it after.
     */
    private Sale openNow(Sale sale) {
        try (Jedis jedis = redis.client()) {
            jedis.hset(Keys.of(sale.id(), "ticket_hash_key").stock(), Keys.OPENS_AT,
                    String.valueOf(store.catalog().now()));
        }
        return store.catalog().find(sale.id()).orElseThrow();
    }

    private void awaitOpen(Sale sale) {
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "sale " + sale.id() + " opens",
                () -> store.catalog().now() > sale.opensAt() + 20);
    }

    private QueueAnswer join(Sale sale, String user) {
        return room.join(sale, user, null, DIRECT).join();
    }

    private QueueAnswer poll(Sale sale, String user, String ticket) {
        return room.poll(sale, user, ticket, false, DIRECT).join();
    }

    private long rank(QueueAnswer answer) {
        return tokens.readTicket(answer.ticket()).orElseThrow().rank();
    }

    /** Joins {@code n} users named {@code prefix + i} before the opening: their tickets, in join order. */
    private List<String> joinEarly(Sale sale, String prefix, int n) {
        List<String> tickets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            QueueAnswer answer = join(sale, prefix + i);
            assertEquals(0, rank(answer), "a join before the opening has no rank yet");
            assertEquals(State.WAITING, answer.state());
            assertNull(answer.position(), "no position before the lottery is drawn");
            tickets.add(answer.ticket());
        }
        return tickets;
    }

    /** Each early joiner's rank, polled after the opening (the first poll looks it up, once). */
    private Map<String, Long> ranks(Sale sale, String prefix, List<String> tickets) {
        Map<String, Long> ranks = new HashMap<>();
        for (int i = 0; i < tickets.size(); i++) {
            ranks.put(prefix + i, rank(poll(sale, prefix + i, tickets.get(i))));
        }
        return ranks;
    }

    private static String at(Map<String, Long> ranks, long rank) {
        return ranks.entrySet().stream().filter(e -> e.getValue() == rank).findFirst().orElseThrow().getKey();
    }

    private Reservation buy(Sale sale, String user) {
        return store.stockOf(sale).reserve(new Buyer(user, null), 3001, sale);
    }

    private String field(Sale sale, String name) {
        try (Jedis jedis = redis.client()) {
            return jedis.hget(Keys.of(sale.id(), "ticket_hash_key").stock(), name);
        }
    }

    private Double passScore(Sale sale, String user) {
        try (Jedis jedis = redis.client()) {
            return jedis.zscore(Keys.of(sale.id(), "ticket_hash_key").queuePasses(), user);
        }
    }

    /** Spearman's rank correlation of {@code ranks} with 1, 2, 3, ... (the join order). */
    private static double spearman(long[] ranks) {
        double n = ranks.length;
        double squares = 0;
        for (int i = 0; i < ranks.length; i++) {
            double d = ranks[i] - (i + 1);
            squares += d * d;
        }
        return 1 - 6 * squares / (n * (n * n - 1));
    }

    @Test
    void before_the_opening_each_place_is_told_to_come_back_when_its_draw_comes_up_in_order_not_all_at_once() {
        room(new Random(23)::nextDouble, 60_000);
        int total = 40;
        int rate = 20;
        int joiners = 400;
        Sale unopened = queued("F1", total, rate, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "f", joiners);
        room.admitAll(List.of(unopened)); // the node's step: its figures count every joiner now
        fixed.set(unopened.opensAt() - 10_000); // the last polls before the opening, 10 s before it
        Map<String, Long> offsets = new HashMap<>();
        for (int i = 0; i < joiners; i++) {
            QueueAnswer told = poll(unopened, "f" + i, early.get(i));
            assertEquals(State.WAITING, told.state());
            assertNull(told.position(), "no rank before the opening");
            offsets.put("f" + i, told.retryAfterMs() - 10_000);
        }
        fixed.set(0);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale));
        Map<String, Long> ranks = ranks(sale, "f", early);
        List<String> byRank = offsets.keySet().stream().sorted(Comparator.comparingLong(ranks::get)).toList();
        long previous = 0;
        for (String user : byRank) {
            long rank = ranks.get(user);
            long offset = offsets.get(user);
            assertTrue(offset >= previous, "place " + rank + " was told to come " + offset + " ms after the opening,"
                    + " sooner than a place ahead of it (" + previous + " ms): the first polls follow the draw");
            if (rank <= total) {
                long admitted = (rank - 1) * 1000 / rate;
                assertTrue(offset <= admitted + 1000, "place " + rank + ", admitted " + admitted + " ms after the"
                        + " opening, was told to come " + offset + " ms after it: its pass's time runs meanwhile");
            }
            previous = offset;
        }
        assertTrue(offsets.get(byRank.get(total - 1)) >= 500, "the tickets' places come over their admission's"
                + " time, not at once: the last was told " + offsets.get(byRank.get(total - 1)) + " ms");
    }

    @Test
    void places_drawn_before_the_opening_are_a_random_permutation_and_later_arrivals_queue_in_order() {
        // a fixed seed: the draw, so the rank correlation below, is the same at every run
        room(new Random(19)::nextDouble, 60_000);
        Sale unopened = queued("L1", 1000, 10, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "early", 200);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale)); // as the node's admission step does once a second
        for (int i = 0; i < 50; i++) {
            QueueAnswer late = join(sale, "late" + i);
            assertEquals(201 + i, rank(late), "after the opening, arrivals queue in their order behind the lottery");
        }
        Map<String, Long> ranks = ranks(sale, "early", early);
        long[] inJoinOrder = IntStream.range(0, 200).mapToLong(i -> ranks.get("early" + i)).toArray();
        assertEquals(LongStream.rangeClosed(1, 200).boxed().toList(), LongStream.of(inJoinOrder).sorted().boxed()
                .toList(), "the early joiners hold places 1 to 200, one each");
        assertFalse(LongStream.rangeClosed(1, 200).boxed().toList().equals(LongStream.of(inJoinOrder).boxed().toList()),
                "arriving early bought a place: the lottery kept the join order");
        double rho = spearman(inJoinOrder);
        assertTrue(Math.abs(rho) < 0.5, "rank correlation of place with join order " + rho + ": no lottery");
        // and the places follow the scores drawn, nothing else
        List<String> byScore = IntStream.range(0, 200).mapToObj(i -> "early" + i).sorted(Comparator.comparingDouble(
                user -> Double.parseDouble(tokens.readTicket(poll(sale, user, early.get(Integer.parseInt(
                        user.substring(5)))).ticket()).orElseThrow().score()))).toList();
        List<String> byRank = IntStream.range(0, 200).mapToObj(i -> "early" + i)
                .sorted(Comparator.comparingLong(ranks::get)).toList();
        assertEquals(byScore, byRank);
    }

    @Test
    void the_clock_admits_the_rate_from_the_opening_at_most_the_stock_and_the_rest_are_told_sold_out() {
        room(new Random(7)::nextDouble, 60_000);
        Sale unopened = queued("R1", 30, 10, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "u", 40);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        fixed.set(sale.opensAt() + 2_500);
        room.admitAll(List.of(sale));
        assertEquals(25, room.figures(sale.id()).orElseThrow().admitted(), "10 a second for 2.5 s");
        Map<String, Long> ranks = ranks(sale, "u", early);
        try (Jedis jedis = redis.client()) {
            Keys k = Keys.of(sale.id(), "ticket_hash_key");
            assertEquals(Set.copyOf(jedis.zrange(k.queue(), 0, 24)), Set.copyOf(jedis.zrange(k.queuePasses(), 0, -1)),
                    "a pass for each of the first 25 places, and no other");
        }
        String third = at(ranks, 28);
        QueueAnswer waiting = poll(sale, third, early.get(Integer.parseInt(third.substring(1))));
        assertEquals(State.WAITING, waiting.state());
        assertEquals(3, waiting.position());
        assertEquals(2, waiting.ahead());
        assertEquals(300, waiting.etaMs(), "place 28 is the clock's at 2.8 s");
        String last = at(ranks, 25);
        QueueAnswer admitted = poll(sale, last, early.get(Integer.parseInt(last.substring(1))));
        assertEquals(State.ADMITTED, admitted.state());
        assertNotNull(admitted.pass());
        room.requirePass(sale, last, admitted.pass());
        QueueRefusal shared = assertThrows(QueueRefusal.class, () -> room.requirePass(sale, third, admitted.pass()));
        assertEquals("not_admitted", shared.error());
        String beyond = at(ranks, 35);
        QueueAnswer far = poll(sale, beyond, early.get(Integer.parseInt(beyond.substring(1))));
        assertEquals(State.WAITING, far.state(), "the clock has not given out every ticket yet");
        assertNull(far.etaMs(), "more places ahead than tickets: no ETA");
        // the clock has given out every ticket, but this node's figures are not read since: still
        // waiting, at the position those figures give (sold out only once they say so)
        fixed.set(sale.opensAt() + 3_500);
        QueueAnswer unread = poll(sale, beyond, early.get(Integer.parseInt(beyond.substring(1))));
        assertEquals(State.WAITING, unread.state(), "sold out told before the figures say every ticket's place is admitted");
        assertEquals(10, unread.position());

        fixed.set(sale.opensAt() + 2_999);
        room.admitAll(List.of(sale));
        assertEquals(29, room.figures(sale.id()).orElseThrow().admitted());
        fixed.set(sale.opensAt() + 3_000);
        room.admitAll(List.of(sale));
        assertEquals(30, room.figures(sale.id()).orElseThrow().admitted());
        fixed.set(sale.opensAt() + 600_000);
        room.admitAll(List.of(sale));
        assertEquals(30, room.figures(sale.id()).orElseThrow().admitted(), "no more passes by time than tickets");
        String next = at(ranks, 31);
        // every ticket's place is admitted, but no pass is spent: each may lapse to the places behind
        QueueAnswer out = poll(sale, next, early.get(Integer.parseInt(next.substring(1))));
        assertEquals(State.WAITING, out.state(), "sold out told while 30 passes it could inherit are out");
        assertEquals(1, out.position());
        assertNull(out.etaMs());
        assertEquals(30, out.passesOut());
        for (long rank = 1; rank <= 30; rank++) {
            assertEquals(Outcome.TICKET, buy(sale, at(ranks, rank)).outcome(), "place " + rank);
        }
        room.admitAll(List.of(sale));
        QueueAnswer gone = poll(sale, next, early.get(Integer.parseInt(next.substring(1))));
        assertEquals(State.SOLD_OUT, gone.state(), "every ticket sold");
        assertEquals(1, gone.position());
        assertNull(gone.etaMs());
        assertEquals(0, gone.passesOut());
        assertEquals(30, gone.unpaid(), "30 orders unpaid: each may come back");
        QueueAnswer stays = room.poll(sale, next, early.get(Integer.parseInt(next.substring(1))), true, DIRECT).join();
        assertEquals(State.WAITLISTED, stays.state());
    }

    @Test
    void a_pass_that_lapses_unused_gives_its_turn_to_the_next_place_and_buys_nothing_after() {
        long passMillis = TimeScale.ms(800);
        room(new Random(3)::nextDouble, passMillis);
        Sale unopened = queued("P1", 2, 1000, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "p", 3);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale));
        assertEquals(2, room.figures(sale.id()).orElseThrow().admitted());
        Map<String, Long> ranks = ranks(sale, "p", early);
        String first = at(ranks, 1);
        String second = at(ranks, 2);
        String third = at(ranks, 3);
        assertEquals(Outcome.TICKET, buy(sale, first).outcome());
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, third).outcome(), "no pass, no ticket");
        long until = passScore(sale, second).longValue();
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "the second pass's time to be over",
                () -> store.catalog().now() > until + 20);
        room.admitAll(List.of(sale));
        RoomView view = room.figures(sale.id()).orElseThrow();
        assertEquals(1, view.lapsed(), "one pass lapsed unused");
        assertEquals(3, view.admitted(), "its turn went to the next place");
        assertEquals(0.0, passScore(sale, second), "lapsed");
        assertEquals(-1.0, passScore(sale, first), "spent, and its time over");
        assertEquals(State.LAPSED, poll(sale, second, early.get(Integer.parseInt(second.substring(1)))).state());
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, second).outcome(), "a lapsed pass buys nothing");
        QueueAnswer next = poll(sale, third, early.get(Integer.parseInt(third.substring(1))));
        assertEquals(State.ADMITTED, next.state());
        assertEquals(Outcome.TICKET, buy(sale, third).outcome());
        assertEquals("2", field(sale, Keys.SOLD));
    }

    @Test
    void tickets_that_come_back_go_to_the_waitlist_in_its_order_never_to_who_refreshes() {
        room(new Random(5)::nextDouble, 60_000);
        Sale unopened = queued("W1", 2, 1000, 3_600_000, 1000);
        List<String> early = joinEarly(unopened, "w", 5);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale));
        Map<String, Long> ranks = ranks(sale, "w", early);
        Map<Long, String> tickets = new HashMap<>();
        ranks.forEach((user, rank) -> tickets.put(rank, early.get(Integer.parseInt(user.substring(1)))));
        Reservation one = buy(sale, at(ranks, 1));
        Reservation two = buy(sale, at(ranks, 2));
        assertEquals(Outcome.TICKET, one.outcome());
        assertEquals(Outcome.TICKET, two.outcome());
        room.admitAll(List.of(sale)); // the node's next admission step reads the last sale
        for (long rank = 3; rank <= 5; rank++) {
            QueueAnswer gone = poll(sale, at(ranks, rank), tickets.get(rank));
            assertEquals(State.SOLD_OUT, gone.state(), "place " + rank);
            assertEquals(rank - 2, gone.position());
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(State.SOLD_OUT, poll(sale, at(ranks, 5), tickets.get(5L)).state(), "refreshing buys nothing");
        }
        assertEquals(OrderBook.Cancel.CANCELLED, orders.cancel(one.orderId(), at(ranks, 1)));
        assertEquals("1", field(sale, Keys.QUEUE_RETURNED));
        room.admitAll(List.of(sale));
        assertEquals(3, room.figures(sale.id()).orElseThrow().admitted());
        assertEquals(State.ADMITTED, poll(sale, at(ranks, 3), tickets.get(3L)).state(), "the waitlist's first");
        // the ticket come back is unsold again: its turn may lapse to the places behind
        QueueAnswer behind = poll(sale, at(ranks, 4), tickets.get(4L));
        assertEquals(State.WAITING, behind.state(), "sold out told while a ticket is unsold");
        assertEquals(1, behind.passesOut());
        assertEquals(State.WAITING, poll(sale, at(ranks, 5), tickets.get(5L)).state());
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, at(ranks, 1)).outcome(), "a pass buys once");
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, at(ranks, 5)).outcome());
        // the second order expires unpaid: its ticket is the next waitlisted place's (the orders made
        // below come after, so that only this one is due)
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "the second order's deadline",
                () -> store.catalog().now() > two.deadline() + 20);
        orders.expireAllDue();
        assertEquals("2", field(sale, Keys.QUEUE_RETURNED));
        room.admitAll(List.of(sale));
        assertEquals(4, room.figures(sale.id()).orElseThrow().admitted());
        assertEquals(State.ADMITTED, poll(sale, at(ranks, 4), tickets.get(4L)).state());
        assertEquals(State.WAITING, poll(sale, at(ranks, 5), tickets.get(5L)).state());
        assertEquals(Outcome.TICKET, buy(sale, at(ranks, 3)).outcome());
        assertEquals(Outcome.TICKET, buy(sale, at(ranks, 4)).outcome());
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, at(ranks, 5)).outcome());
        assertEquals("2", field(sale, Keys.SOLD));
        room.admitAll(List.of(sale));
        assertEquals(State.SOLD_OUT, poll(sale, at(ranks, 5), tickets.get(5L)).state(), "every ticket sold again");
        try (Jedis jedis = redis.client()) {
            assertEquals(Set.of(at(ranks, 1), at(ranks, 2), at(ranks, 3), at(ranks, 4)),
                    jedis.smembers(Keys.of(sale.id(), "ticket_hash_key").queueSpent()), "the passes that bought");
        }
    }

    /**
     * The 100,000-buyer bench's loss (docs/queue.md, Figures): places behind every ticket's were told
     * sold out while admitted buyers ahead still held passes; their buyers stopped polling, the
     * passes lapsed to them, and tickets went unsold. Here 5 tickets, 12 in the room, and the buyers
     * at places 2, 4 and 6 never buy: their turns go on in room order, place 6's to place 8 (a lapsed
     * turn that lapses again), and every ticket is sold to places 1, 3, 5, 7, 8. Nobody hears sold
     * out while a ticket is unsold, and after the last sale everyone behind hears it at the next poll.
     */
    @Test
    void turns_that_lapse_go_on_in_order_until_every_ticket_is_sold_and_nobody_hears_sold_out_before() {
        long passMillis = TimeScale.ms(800);
        room(new Random(23)::nextDouble, passMillis);
        Sale unopened = queued("S1", 5, 1000, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "s", 12);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale));
        Map<String, Long> ranks = ranks(sale, "s", early);
        Map<Long, String> tickets = new HashMap<>();
        ranks.forEach((user, rank) -> tickets.put(rank, early.get(Integer.parseInt(user.substring(1)))));
        Set<Long> skippers = Set.of(2L, 4L, 6L);
        List<Long> boughtBy = new ArrayList<>();
        Keys k = Keys.of(sale.id(), "ticket_hash_key");
        Deadline.await(TimeScale.of(Duration.ofSeconds(60)), "every ticket sold", () -> {
            room.admitAll(List.of(sale)); // the node's admission step
            boolean soldBefore = Long.parseLong(field(sale, Keys.SOLD)) == 5;
            long previousRetry = 0;
            for (long rank = 1; rank <= 12; rank++) {
                QueueAnswer answer = poll(sale, at(ranks, rank), tickets.get(rank));
                if (answer.state() == State.ADMITTED && answer.pass() != null && !skippers.contains(rank)
                        && !boughtBy.contains(rank)) {
                    assertEquals(Outcome.TICKET, buy(sale, at(ranks, rank)).outcome(), "place " + rank);
                    boughtBy.add(rank);
                } else if (answer.state() == State.SOLD_OUT) {
                    assertTrue(soldBefore, "place " + rank + " told sold out while " + (5 - Long.parseLong(
                            field(sale, Keys.SOLD))) + " tickets are unsold, " + answer.passesOut() + " passes out");
                } else if (answer.state() == State.WAITING && answer.passesOut() != null) {
                    assertTrue(answer.passesOut() > 0 || room.figures(sale.id()).orElseThrow().admitted()
                            < 5 + room.figures(sale.id()).orElseThrow().lapsed(), "waiting beyond reach, nothing out");
                    assertTrue(answer.retryAfterMs() >= previousRetry, "place " + rank + " polls sooner ("
                            + answer.retryAfterMs() + " ms) than a place ahead (" + previousRetry + " ms)");
                    assertTrue(answer.retryAfterMs() <= WaitingRoom.WAITLIST_RETRY_MILLIS, "place " + rank + " told to"
                            + " poll in " + answer.retryAfterMs() + " ms: a room of 12 hears sold out within 5 s");
                    if (previousRetry == 0) {
                        assertEquals(WaitingRoom.LEAST_RETRY_MILLIS, answer.retryAfterMs(),
                                "the next place beyond reach polls once an admission step");
                    }
                    previousRetry = answer.retryAfterMs();
                }
            }
            return Long.parseLong(field(sale, Keys.SOLD)) == 5;
        });
        assertEquals(List.of(1L, 3L, 5L, 7L, 8L), boughtBy, "the tickets went to the next places, in order");
        assertEquals("3", field(sale, Keys.QUEUE_LAPSED), "places 2, 4 and 6 lapsed");
        try (Jedis jedis = redis.client()) {
            assertEquals(Set.copyOf(jedis.zrange(k.queue(), 0, 7)), Set.copyOf(jedis.zrange(k.queuePasses(), 0, -1)),
                    "a pass for each of the first 8 places, and no other");
            assertEquals(Set.of(at(ranks, 1), at(ranks, 3), at(ranks, 5), at(ranks, 7), at(ranks, 8)),
                    jedis.smembers(k.queueSpent()));
        }
        room.admitAll(List.of(sale)); // the next admission step after the last sale
        for (long rank = 9; rank <= 12; rank++) {
            QueueAnswer gone = poll(sale, at(ranks, rank), tickets.get(rank));
            assertEquals(State.SOLD_OUT, gone.state(), "place " + rank + " after the last sale");
            assertEquals(rank - 8, gone.position());
            assertEquals(0, gone.passesOut());
            assertEquals(5, gone.unpaid());
            assertFalse(gone.last(), "5 orders unpaid may come back");
            assertEquals(Math.min(WaitingRoom.WAITLIST_RETRY_MILLIS, WaitingRoom.turnNoticeMillis(passMillis)),
                    gone.retryAfterMs(), "a small room's waitlist polls every 5 s, or half a pass if shorter (1 s at"
                            + " least): an expiry may admit it before its next poll");
        }
    }

    @Test
    void a_user_has_one_place_and_joining_again_returns_it() {
        room(new Random(11)::nextDouble, 60_000);
        Sale sale = queued("O1", 10, 10, 0, 60_000);
        awaitOpen(sale);
        QueueAnswer first = join(sale, "olga");
        assertTrue(first.ticket() != null && rank(first) == 1);
        join(sale, "oskar");
        QueueAnswer again = join(sale, "olga");
        assertEquals(1, rank(again));
        assertEquals(tokens.readTicket(first.ticket()).orElseThrow().score(),
                tokens.readTicket(again.ticket()).orElseThrow().score());
        try (Jedis jedis = redis.client()) {
            assertEquals(2, jedis.zcard(Keys.of(sale.id(), "ticket_hash_key").queue()));
        }
    }

    @Test
    void a_poll_where_nothing_changed_costs_the_store_nothing() {
        room(new Random(13)::nextDouble, 60_000);
        Sale unopened = queued("C1", 100, 1, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "c", 3);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        fixed.set(sale.opensAt() + 1_000);
        room.admitAll(List.of(sale));
        Map<String, Long> ranks = ranks(sale, "c", early); // the lottery's ranks: one look-up each, the change
        String admitted = at(ranks, 1);
        String waiting = at(ranks, 3);
        String admittedTicket = poll(sale, admitted, early.get(Integer.parseInt(admitted.substring(1)))).ticket();
        String waitingTicket = poll(sale, waiting, early.get(Integer.parseInt(waiting.substring(1)))).ticket();
        long before = room.storeCalls();
        for (int i = 0; i < 1000; i++) {
            assertEquals(State.WAITING, poll(sale, waiting, waitingTicket).state());
        }
        assertEquals(before, room.storeCalls(), "1000 unchanged polls of a waiting buyer");
        for (int i = 0; i < 1000; i++) {
            assertEquals(State.ADMITTED, poll(sale, admitted, admittedTicket).state());
        }
        assertEquals(before, room.storeCalls(), "1000 polls of an admitted buyer whose pass this node knows");
    }

    @Test
    void a_ticket_is_its_buyer_s_for_its_sale_and_a_forged_one_is_refused() {
        room(new Random(17)::nextDouble, 60_000);
        Sale sale = queued("T1", 10, 10, 0, 60_000);
        awaitOpen(sale);
        String ticket = join(sale, "tina").ticket();
        assertEquals("bad_ticket", assertThrows(QueueRefusal.class, () -> poll(sale, "tom", ticket)).error());
        String forged = ticket.substring(0, ticket.length() - 2) + (ticket.endsWith("A") ? "BB" : "AA");
        assertEquals("bad_ticket", assertThrows(QueueRefusal.class, () -> poll(sale, "tina", forged)).error());
        String otherKey = QueueTokens.ofRandomKey().ticket(sale, "tina", new Place("2", 1, false));
        assertEquals("bad_ticket", assertThrows(QueueRefusal.class, () -> poll(sale, "tina", otherKey)).error());
        String pass = tokens.pass(sale, "tina", now() + 60_000);
        assertEquals("bad_ticket", assertThrows(QueueRefusal.class, () -> poll(sale, "tina", pass)).error(),
                "a pass is no ticket");
        assertEquals("not_admitted", assertThrows(QueueRefusal.class, () -> room.requirePass(sale, "tina", ticket))
                .error(), "a ticket is no pass");
        // one's own pass past its time goes on to the buy script, which answers the order it bought or
        // not_admitted (QueuedSaleTest): a buy sent again gets its first answer
        assertDoesNotThrow(() -> room.requirePass(sale, "tina", tokens.pass(sale, "tina", now() - 1)),
                "a pass of one's own past its time is the buy script's to judge");
    }

    /** A node whose Redis link is {@code link}, giving a call up after {@code timeoutMillis}. */
    private static RedisStore nodeVia(TcpProxy link, long timeoutMillis) {
        return RedisStore.open(StoreSettings.from(redis.asNode(Map.of("rush.redis.port", String.valueOf(link.port()),
                "rush.redis.timeout.ms", String.valueOf(timeoutMillis), "rush.breaker.failures", "1000"))::get));
    }

    /** The buy script in Redis's script cache (it sells nothing: its deadline is past), so a lost answer is the buy's own. */
    private static void loadBuyScript(Sale sale) {
        try (Jedis jedis = redis.client()) {
            LuaScripts.BUY.run(jedis, Keys.of(sale.id(), "ticket_hash_key").forScripts(),
                    List.of("60000", "1", "1", "1", "", "warm-up"));
        }
    }

    /**
     * Another node's room over the same store: it remembers no pass yet (the node that answered a
     * join remembers the pass its answer looked up, while it lasts).
     */
    private WaitingRoom otherNode() {
        return new WaitingRoom(store.queue(), tokens, this::now, new Random(1)::nextDouble, 60_000, 0, 1000);
    }

    /** Sale {@code sale}'s orders by state, as Redis holds them. */
    private Map<String, Long> orderStates(Sale sale) {
        Map<String, Long> states = new TreeMap<>();
        try (Jedis jedis = redis.client()) {
            for (String id : jedis.hkeys(Keys.of(sale.id(), "ticket_hash_key").orders())) {
                states.merge(orders.find(id).orElseThrow().state(), 1L, Long::sum);
            }
        }
        return states;
    }

    private boolean spent(Sale sale, String user) {
        try (Jedis jedis = redis.client()) {
            return jedis.sismember(Keys.of(sale.id(), "ticket_hash_key").queueSpent(), user);
        }
    }

    /**
     * Issue 19's 100,000-buyer bench: a buy whose answer was lost (the buyer told 503, nothing sold)
     * had spent the pass in Redis, and a poll before the node voided the call answered "your turn
     * was used", so the page stopped polling and never saw the pass come back. Now the room tells a
     * spent pass whose buy is not settled apart (admitted, not used, no pass: poll again), the void
     * gives the pass back, and the buyer buys exactly one ticket with it.
     */
    @Test
    void a_buy_answered_503_is_never_told_used_and_its_pass_buys_once_after_the_void() {
        room(new Random(19)::nextDouble, 60_000);
        Sale sale = queued("V1", 2, 1000, 0, 60_000);
        awaitOpen(sale);
        String ticket = join(sale, "vera").ticket();
        join(sale, "walt");
        room.admitAll(List.of(sale));
        assertEquals(2, room.figures(sale.id()).orElseThrow().admitted());
        try (TcpProxy link = TcpProxy.to(redis.port());
                RedisStore lossy = nodeVia(link, TimeScale.ms(5_000));
                WaitingRoom polled = otherNode()) {
            GlobalStock stock = lossy.stockOf(sale);
            stock.snapshot();
            loadBuyScript(sale);
            link.breakOnAnswers(true);
            assertThrows(StockUnavailableException.class, () -> stock.reserve(new Buyer("vera", null), 3001, sale),
                    "the buy's answer was lost: 503");
            link.breakOnAnswers(false);
            assertEquals("1", field(sale, Keys.SOLD), "the call did run in Redis");
            assertTrue(spent(sale, "vera"), "and spent the pass");

            QueueAnswer unsure = polled.poll(sale, "vera", ticket, false, DIRECT).join();
            assertEquals(State.ADMITTED, unsure.state());
            assertFalse(unsure.passUsed(), "a buy its buyer heard 503 of is not told 'your turn was used'");
            assertNull(unsure.pass(), "its pass may not buy meanwhile");
            assertEquals(WaitingRoom.LEAST_RETRY_MILLIS, unsure.retryAfterMs(), "poll again soon");

            assertEquals(1, lossy.settleUncertainBuys(), "the node voids the call: its ticket comes back");
            assertEquals("0", field(sale, Keys.SOLD));
            QueueAnswer back = polled.poll(sale, "vera", ticket, false, DIRECT).join();
            assertEquals(State.ADMITTED, back.state());
            assertNotNull(back.pass(), "the pass is back");
            assertFalse(back.passUsed());

            Reservation again = stock.reserve(new Buyer("vera", null), 3001, sale);
            assertEquals(Outcome.TICKET, again.outcome(), "the pass buys again");
            assertEquals(Outcome.EXISTING, stock.reserve(new Buyer("vera", null), 3001, sale).outcome(),
                    "and only once");
            assertEquals("1", field(sale, Keys.SOLD));
            assertEquals(Map.of(Order.PENDING, 1L, Order.VOIDED, 1L), orderStates(sale), "one order stands, one voided");
            try (Jedis jedis = redis.client()) {
                assertEquals(again.orderId(), jedis.hget(Keys.of(sale.id(), "ticket_hash_key").holders(), "vera"));
            }
            assertTrue(spent(sale, "vera"));
            // a third node (no pass of vera's remembered): the turn is used now, and it is vera's order
            try (WaitingRoom other = otherNode()) {
                other.admitAll(List.of(sale));
                QueueAnswer used = other.poll(sale, "vera", ticket, false, DIRECT).join();
                assertEquals(State.ADMITTED, used.state());
                assertTrue(used.passUsed(), "bought: the turn is used");
                assertNull(used.pass());
            }
        }
    }

    /**
     * The same lost answer, polled after the node's give-up moment but before its void: the poll's
     * look-up voids the call itself (as any script that meets an order of a call given up on) and
     * answers the pass back; the node's void after finds nothing left to give back.
     */
    @Test
    void a_poll_after_the_give_up_moment_voids_the_lost_buy_itself_and_answers_the_pass() {
        room(new Random(23)::nextDouble, 60_000);
        Sale sale = queued("V2", 1, 1000, 0, 60_000);
        awaitOpen(sale);
        String ticket = join(sale, "xena").ticket();
        room.admitAll(List.of(sale));
        long timeout = TimeScale.ms(300);
        try (TcpProxy link = TcpProxy.to(redis.port());
                RedisStore lossy = nodeVia(link, timeout);
                WaitingRoom polled = otherNode()) {
            GlobalStock stock = lossy.stockOf(sale);
            stock.snapshot();
            loadBuyScript(sale);
            long sent = store.catalog().now();
            link.breakOnAnswers(true);
            assertThrows(StockUnavailableException.class, () -> stock.reserve(new Buyer("xena", null), 3001, sale));
            link.breakOnAnswers(false);
            assertEquals("1", field(sale, Keys.SOLD), "the call did run in Redis");
            // the node's give-up moment: its timeout plus half of it, at least 100 ms (RedisGlobalStock.giveUp)
            long giveUp = sent + timeout + Math.max(100, timeout / 2);
            Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "the node's give-up moment to pass",
                    () -> store.catalog().now() > giveUp + 20);
            QueueAnswer back = polled.poll(sale, "xena", ticket, false, DIRECT).join();
            assertEquals(State.ADMITTED, back.state());
            assertNotNull(back.pass(), "the call given up on was voided by the poll: the pass is back");
            assertEquals("0", field(sale, Keys.SOLD));
            assertEquals(Map.of(Order.VOIDED, 1L), orderStates(sale));
            assertEquals(0, lossy.settleUncertainBuys(), "voided already: nothing more comes back");
            assertEquals(Outcome.TICKET, stock.reserve(new Buyer("xena", null), 3001, sale).outcome());
            assertEquals("1", field(sale, Keys.SOLD));
            assertEquals(Map.of(Order.PENDING, 1L, Order.VOIDED, 1L), orderStates(sale));
        }
    }

    /**
     * Handing a turn back (docs/queue.md, "Leaving"): of 4 admitted, 2 leave; the next admission step
     * lapses exactly their 2 passes and admits the next 2 places, in order; a waiting buyer who left
     * gets a pass that lapses at the step after, admitting the place behind it. Nothing is sold to a
     * leaver, a leaver's pass buys nothing, a spent pass cannot be handed back, and leaving again
     * answers the same.
     */
    @Test
    void buyers_who_leave_hand_their_turns_to_the_next_places_in_order_and_buy_nothing() {
        room(new Random(29)::nextDouble, 60_000);
        Sale unopened = queued("L1", 4, 1000, 3_600_000, 60_000);
        List<String> early = joinEarly(unopened, "l", 10);
        Sale sale = openNow(unopened);
        awaitOpen(sale);
        room.admitAll(List.of(sale));
        Map<String, Long> ranks = ranks(sale, "l", early);
        RoomView first = room.figures(sale.id()).orElseThrow();
        assertEquals(4, first.admitted(), "K = 4 admitted");
        assertEquals(0, first.lapsed());
        String one = at(ranks, 1);
        String three = at(ranks, 3);
        String six = at(ranks, 6);
        assertTrue(room.leave(sale, one), "admitted when it left");
        assertTrue(room.leave(sale, three));
        assertTrue(room.leave(sale, one), "leaving again answers the same");
        assertFalse(room.leave(sale, six), "waiting when it left");
        assertFalse(room.leave(sale, six));
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, one).outcome(), "a pass handed back buys nothing");
        assertEquals(Outcome.NOT_ADMITTED, buy(sale, six).outcome());

        room.admitAll(List.of(sale));
        RoomView next = room.figures(sale.id()).orElseThrow();
        assertEquals(2, next.lapsed(), "exactly the J = 2 passes handed back lapsed");
        assertEquals(6, next.admitted(), "and admitted the next 2 places");
        assertEquals(RoomReply.HANDED_BACK, passScore(sale, six).longValue(),
                "place 6's buyer left: its pass is due at once");
        room.admitAll(List.of(sale));
        RoomView after = room.figures(sale.id()).orElseThrow();
        assertEquals(3, after.lapsed(), "place 6's pass lapsed at the next step");
        assertEquals(7, after.admitted(), "and admitted place 7");
        try (Jedis jedis = redis.client()) {
            Keys k = Keys.of(sale.id(), "ticket_hash_key");
            assertEquals(Set.copyOf(jedis.zrange(k.queue(), 0, 6)), Set.copyOf(jedis.zrange(k.queuePasses(), 0, -1)),
                    "passes went to the first 7 places, in order, and to no other");
        }
        for (String leaver : List.of(one, three, six)) {
            assertEquals(0.0, passScore(sale, leaver), leaver + "'s pass lapsed");
            assertEquals(Outcome.NOT_ADMITTED, buy(sale, leaver).outcome(), leaver + " left: its pass buys nothing");
            assertEquals(State.LAPSED, poll(sale, leaver, early.get(Integer.parseInt(leaver.substring(1)))).state());
        }
        for (long rank : List.of(2L, 4L, 5L, 7L)) {
            assertEquals(Outcome.TICKET, buy(sale, at(ranks, rank)).outcome(), "place " + rank);
        }
        assertEquals("4", field(sale, Keys.SOLD));
        assertEquals(Map.of(Order.PENDING, 4L), orderStates(sale), "4 orders, none to a leaver");
        try (Jedis jedis = redis.client()) {
            Keys k = Keys.of(sale.id(), "ticket_hash_key");
            for (String leaver : List.of(one, three, six)) {
                assertNull(jedis.hget(k.history(), leaver), leaver + " bought nothing");
            }
        }
        QueueRefusal spentPass = assertThrows(QueueRefusal.class, () -> room.leave(sale, at(ranks, 2)));
        assertEquals("pass_spent", spentPass.error());
        assertEquals(409, spentPass.status());
        QueueRefusal stranger = assertThrows(QueueRefusal.class, () -> room.leave(sale, "nobody"));
        assertEquals("not_in_room", stranger.error());
        room.admitAll(List.of(sale));
        assertEquals(3, room.figures(sale.id()).orElseThrow().lapsed(), "nothing else lapsed");
        assertEquals(7, room.figures(sale.id()).orElseThrow().admitted());
    }

    /**
     * A batch of joins costs Redis the same few commands whatever its size (docs/queue.md, "Cheap to
     * serve"): one ZMSCORE finds who has a place and one ZADD places every newcomer, before the
     * opening and after it; only a user who comes back after the opening is looked up on its own
     * (ZRANK). The places are those of one join at a time: a user twice in a batch is placed once,
     * and after the opening newcomers rank behind everyone in the room, in the batch's order.
     */
    @Test
    void a_batch_of_joins_places_every_newcomer_with_one_zadd_whatever_its_size() {
        Sale unopened = queued("B1", 10, 10, 3_600_000, 60_000);
        List<QueueStore.Joiner> early = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            early.add(new QueueStore.Joiner("e" + i, (i * 37 % 200) / 200.0));
        }
        early.add(new QueueStore.Joiner("e7", 0.999)); // twice in the batch: its first draw stands
        List<Place> drawn = joinCounting(unopened, early, Map.of("zadd", 1L, "zmscore", 1L, "zscore", 0L,
                "zrank", 0L, "zcard", 0L));
        for (int i = 0; i < 200; i++) {
            assertEquals(new Place(Double.toString((i * 37 % 200) / 200.0), 0, true), drawn.get(i), "e" + i);
        }
        assertEquals(new Place(drawn.get(7).score(), 0, false), drawn.get(200), "e7 again in the same batch");

        Sale sale = openNow(unopened);
        awaitOpen(sale);
        List<QueueStore.Joiner> later = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            later.add(new QueueStore.Joiner("l" + i, 0.5));
        }
        later.add(1, new QueueStore.Joiner("e3", 0.5)); // back after the opening: its drawn place
        later.add(new QueueStore.Joiner("l0", 0.5));
        List<Place> placed = joinCounting(sale, later, Map.of("zadd", 1L, "zmscore", 1L, "zscore", 0L,
                "zrank", 1L, "zcard", 1L));
        Map<String, Long> lottery = new HashMap<>();
        try (Jedis jedis = redis.client()) {
            for (int i = 0; i < 200; i++) {
                lottery.put("e" + i, jedis.zrank(Keys.of(sale.id(), "ticket_hash_key").queue(), "e" + i) + 1);
            }
        }
        // e3's place as Redis keeps it (its score in Redis's own digits: the same number)
        assertEquals(Double.parseDouble(drawn.get(3).score()), Double.parseDouble(placed.get(1).score()), "e3 back");
        assertEquals(List.of(lottery.get("e3"), false), List.of(placed.get(1).rank(), placed.get(1).joinedNow()), "e3 back");
        List<Place> newcomers = new ArrayList<>(placed);
        newcomers.remove(1);
        for (int i = 0; i < 100; i++) {
            assertEquals(new Place(String.valueOf(2 + i), 201 + i, true), newcomers.get(i), "l" + i);
        }
        assertEquals(new Place("2", 201, false), newcomers.get(100), "l0 again in the same batch");
        try (Jedis jedis = redis.client()) {
            String room = Keys.of(sale.id(), "ticket_hash_key").queue();
            assertEquals(300, jedis.zcard(room));
            assertEquals(List.of("l0", "l1", "l99"), List.of(jedis.zrange(room, 200, 200).get(0),
                    jedis.zrange(room, 201, 201).get(0), jedis.zrange(room, 299, 299).get(0)));
        }
    }

    /** One store call of {@code joiners}, checking how many of each command Redis ran for it. */
    private List<Place> joinCounting(Sale sale, List<QueueStore.Joiner> joiners, Map<String, Long> commands) {
        try (Jedis jedis = redis.client()) {
            jedis.configResetStat();
        }
        List<Place> places = store.queue().join(sale, joiners);
        try (Jedis jedis = redis.client()) {
            String stats = jedis.info("commandstats");
            commands.forEach((command, expected) -> assertEquals(expected, calls(stats, command),
                    command + " calls for a batch of " + joiners.size() + " joins"));
        }
        return places;
    }

    private static long calls(String commandStats, String command) {
        for (String line : commandStats.split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":calls=")) {
                return Long.parseLong(line.substring(line.indexOf('=') + 1, line.indexOf(',')));
            }
        }
        return 0;
    }
}
