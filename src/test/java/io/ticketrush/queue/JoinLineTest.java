package io.ticketrush.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
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
 * The join line's linger against a real Redis (docs/queue.md, "Cheap to serve"): a crowd joining
 * before the opening is placed exactly, each joiner its own place, in a call per
 * {@link JoinLine#LINGER_BATCH} joins; nobody lingers after the opening (nor close to it), and a
 * join that must not wait ends a linger at once; a failed call fails every joiner of its batch, none
 * answered as placed, and the places Redis did hold are theirs when they join again.
 */
class JoinLineTest {
    private static RedisServer redis;

    private RedisStore store;
    private TcpProxy link;
    private RedisStore linked;
    private JoinLine line;
    private final AtomicInteger calls = new AtomicInteger();

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
    }

    @AfterEach
    void disconnect() {
        if (line != null) {
            line.close();
        }
        if (linked != null) {
            linked.close();
        }
        if (link != null) {
            link.close();
        }
        store.close();
    }

    /** A line in front of {@code queue}, each of its store calls counted in {@link #calls}. */
    private JoinLine line(QueueStore queue, long lingerMillis) {
        QueueStore counted = new QueueStore() {
            @Override
            public List<Place> join(Sale sale, List<Joiner> joiners) {
                calls.incrementAndGet();
                return queue.join(sale, joiners);
            }

            @Override
            public RoomView admit(Sale sale, long byClock, long passMillis) {
                throw new AssertionError("the line only joins");
            }

            @Override
            public java.util.Optional<PassRecord> pass(Sale sale, String user) {
                throw new AssertionError("the line only joins");
            }

            @Override
            public Left leave(Sale sale, String user) {
                throw new AssertionError("the line only joins");
            }
        };
        line = new JoinLine(counted, () -> store.catalog().now(), lingerMillis);
        return line;
    }

    /** A queued sale opening {@code leadMillis} from now on Redis's clock. */
    private Sale queued(String id, long leadMillis) {
        long opens = store.catalog().now() + leadMillis;
        return store.admin().create(new Sale(id, id, 100, opens, 0, 1, 60_000, 0, 0, true).withQueue(10, 0));
    }

    /** The lottery score joiner {@code i} brings: its own, so its answer shows whose place it is. */
    private static double score(int i) {
        return (i + 1) / 1024.0;
    }

    private static Place await(CompletableFuture<Place> place, Duration limit) {
        try {
            return place.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError("a join failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("a join not answered within " + limit);
        }
    }

    /**
     * {@code joiners} joins of {@code sale}, each from a thread of its own (as a node's requests),
     * started together: each joiner's place, by index.
     */
    private List<CompletableFuture<Place>> crowd(Sale sale, int joiners) throws InterruptedException {
        List<CompletableFuture<Place>> places = new ArrayList<>();
        for (int i = 0; i < joiners; i++) {
            places.add(new CompletableFuture<>());
        }
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < joiners; i++) {
            int index = i;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                CompletableFuture<Place> mine = places.get(index);
                line.place(sale, new QueueStore.Joiner("u" + index, score(index))).whenComplete((place, failed) -> {
                    if (failed != null) {
                        mine.completeExceptionally(failed);
                    } else {
                        mine.complete(place);
                    }
                });
            }, "joiner-" + i);
            thread.start();
            started.add(thread);
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join(TimeScale.of(Duration.ofSeconds(60)).toMillis());
        }
        return places;
    }

    @Test
    void a_crowd_joining_before_the_opening_is_placed_exactly_each_its_own_place_in_a_call_per_batch()
            throws InterruptedException {
        int joiners = 4 * JoinLine.LINGER_BATCH;
        Sale sale = queued("L1", 3_600_000);
        // a linger long enough that only the last batch ends by it (the others by their count)
        line(store.queue(), TimeScale.ms(5_000));
        List<CompletableFuture<Place>> places = crowd(sale, joiners);
        for (int i = 0; i < joiners; i++) {
            Place place = await(places.get(i), TimeScale.of(Duration.ofSeconds(60)));
            assertEquals(score(i), Double.parseDouble(place.score()), "joiner u" + i + "'s answer is its own place");
            assertEquals(0, place.rank(), "before the opening the place has no rank");
            assertTrue(place.joinedNow(), "u" + i + " joined now");
        }
        try (Jedis jedis = redis.client()) {
            String room = Keys.of(sale.id(), "ticket_hash_key").queue();
            assertEquals(joiners, jedis.zcard(room), "places Redis holds");
            for (int i = 0; i < joiners; i++) {
                assertEquals(score(i), jedis.zscore(room, "u" + i), "Redis's place of u" + i);
            }
        }
        int bound = joiners / JoinLine.LINGER_BATCH + 1;
        assertTrue(calls.get() <= bound, joiners + " joins from as many threads took " + calls.get()
                + " store calls, more than " + bound + " (a call per " + JoinLine.LINGER_BATCH
                + " joins, and the last batch's)");
    }

    /**
     * {@code user}'s join of {@code sale} made on another thread (the thread that serves the line
     * lingers in {@link JoinLine#place}): waiting on it bounds the linger too.
     */
    private CompletableFuture<Place> fromAnotherThread(Sale sale, String user) {
        return CompletableFuture.supplyAsync(() -> line.place(sale, new QueueStore.Joiner(user, 0.5)))
                .thenCompose(place -> place);
    }

    @Test
    void after_the_opening_nobody_lingers_and_a_join_that_must_not_wait_ends_a_linger() throws Exception {
        Sale open = queued("L2", 0);
        Sale near = queued("L3", 60_000);
        Sale later = queued("L4", 3_600_000);
        Deadline.await(TimeScale.of(Duration.ofSeconds(30)), "sale L2 opens",
                () -> store.catalog().now() > open.opensAt() + 20);
        long linger = 60_000; // not scaled: what must not be waited
        line(store.queue(), linger);
        Duration soon = TimeScale.of(Duration.ofSeconds(20));
        Place first = await(fromAnotherThread(open, "a1"), soon);
        assertEquals(1, first.rank(), "an open sale's join is ranked at once");
        assertTrue(await(fromAnotherThread(near, "n1"), soon).joinedNow(),
                "a sale opening within twice the linger: nobody lingers");
        assertEquals(2, calls.get());

        // an early join lingers on a thread of its own, in line until something ends the linger
        CompletableFuture<CompletableFuture<Place>> lingering = CompletableFuture.supplyAsync(
                () -> line.place(later, new QueueStore.Joiner("e1", 0.25)));
        Deadline.await(soon, "the early join lingers in line", () -> line.lingers() && line.queued() == 1);
        assertFalse(lingering.isDone(), "the early join's thread lingers, its call not made");
        assertEquals(2, calls.get(), "no call for the lingering join yet");
        Place urgent = await(fromAnotherThread(open, "a2"), soon);
        assertEquals(2, urgent.rank(), "the open sale's second arrival");
        Place early = await(lingering.get(soon.toMillis(), TimeUnit.MILLISECONDS), soon);
        assertEquals(0.25, Double.parseDouble(early.score()), "the early joiner's own place, in the same batch");
        assertEquals(0, early.rank());
        assertEquals(4, calls.get(), "one call per sale of the batch the open sale's join ended");
    }

    @Test
    void a_failed_call_fails_every_join_of_its_batch_none_answered_placed() throws InterruptedException {
        link = TcpProxy.to(redis.port());
        linked = RedisStore.open(StoreSettings.from(redis.asNode(Map.of("rush.redis.port", String.valueOf(link.port()),
                "rush.redis.timeout.ms", "5000", "rush.breaker.failures", "1000"))::get));
        Sale sale = queued("L5", 3_600_000);
        int joiners = JoinLine.LINGER_BATCH;
        line(linked.queue(), TimeScale.ms(30_000));
        // a join through the link first, so its connection is made and the script loaded
        Sale warm = queued("L6", 0);
        await(line.place(warm, new QueueStore.Joiner("w", 0.5)), TimeScale.of(Duration.ofSeconds(20)));
        calls.set(0);
        link.breakOnAnswers(true); // Redis runs the call, its answer is lost: the worst case
        List<CompletableFuture<Place>> places = crowd(sale, joiners);
        for (int i = 0; i < joiners; i++) {
            try {
                Place place = places.get(i).get(TimeScale.of(Duration.ofSeconds(60)).toMillis(), TimeUnit.MILLISECONDS);
                fail("u" + i + " answered placed (" + place + ") by a call that failed");
            } catch (ExecutionException e) {
                StockUnavailableException unavailable = assertInstanceOf(StockUnavailableException.class, e.getCause(),
                        "u" + i + "'s failure");
                assertEquals(503, unavailable.status());
            } catch (TimeoutException e) {
                fail("u" + i + " not answered");
            }
        }
        assertEquals(1, calls.get(), "the " + joiners + " joins went in one call");
        link.breakOnAnswers(false);
        // joining again, each with another lottery score: the place Redis held is theirs
        line.close();
        line(linked.queue(), 0);
        for (int i = 0; i < joiners; i++) {
            Place again = await(line.place(sale, new QueueStore.Joiner("u" + i, 0.999)), TimeScale.of(Duration.ofSeconds(20)));
            assertEquals(score(i), Double.parseDouble(again.score()), "u" + i + "'s place, held by Redis");
            assertFalse(again.joinedNow(), "u" + i + " had its place");
        }
    }
}
