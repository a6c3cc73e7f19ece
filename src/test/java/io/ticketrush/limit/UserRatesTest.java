package io.ticketrush.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * The per-user rate (rush.user.rate): a burst at once, then the rate, each user on its own, and a
 * table that never holds more users than it was made for, however many ask.
 */
class UserRatesTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** A clock the test moves. */
    private final AtomicLong now = new AtomicLong(123_456_789L);

    @Test
    void a_user_gets_its_burst_at_once_then_one_request_per_interval() {
        UserRates rates = new UserRates(2, 3, 64, now::get);
        assertEquals(0, rates.acquire("mallory"));
        assertEquals(0, rates.acquire("mallory"));
        assertEquals(0, rates.acquire("mallory"));
        assertEquals(SECOND / 2, rates.acquire("mallory"), "the fourth at once waits one interval (2/s)");
        assertEquals(SECOND / 2, rates.acquire("mallory"), "a refused request does not count");
        now.addAndGet(SECOND / 2 - 1);
        assertEquals(1, rates.acquire("mallory"), "a nanosecond early");
        now.addAndGet(1);
        assertEquals(0, rates.acquire("mallory"), "on time");
        assertEquals(SECOND / 2, rates.acquire("mallory"));
        now.addAndGet(10 * SECOND);
        for (int i = 0; i < 3; i++) {
            assertEquals(0, rates.acquire("mallory"), "after a pause the whole burst again, " + i);
        }
        assertTrue(rates.acquire("mallory") > 0, "but no more than the burst");
    }

    @Test
    void one_user_over_its_rate_leaves_every_other_user_theirs() {
        UserRates rates = new UserRates(1, 2, 64, now::get);
        assertEquals(0, rates.acquire("mallory"));
        assertEquals(0, rates.acquire("mallory"));
        assertTrue(rates.acquire("mallory") > 0);
        assertEquals(0, rates.acquire("alice"));
        assertEquals(0, rates.acquire("alice"));
        assertTrue(rates.acquire("alice") > 0);
        assertEquals(0, rates.acquire("bob"));
    }

    /** 256 threads released at once, one user, a clock that stands still: exactly the burst gets through. */
    @Test
    void a_burst_from_many_threads_at_once_lets_exactly_the_burst_through() throws Exception {
        UserRates rates = new UserRates(5, 10, 1024, now::get);
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> asks = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            asks.add(pool.submit(() -> {
                go.await();
                return rates.acquire("mallory") == 0;
            }));
        }
        go.countDown();
        int through = 0;
        for (Future<Boolean> ask : asks) {
            through += ask.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        pool.shutdownNow();
        assertEquals(10, through);
    }

    /**
     * Four threads asking for one user at once, 2,000,000 times each, on a clock that stands still,
     * with a burst of 4,000,000: exactly 4,000,000 get through. Each request let through moves the
     * user's moment on; only the table's lock keeps two threads from moving it once for both.
     */
    @Test
    void threads_racing_for_one_user_let_exactly_its_burst_through() throws Exception {
        UserRates rates = new UserRates(1, 4_000_000, 64, now::get);
        AtomicInteger through = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(pool.submit(() -> {
                go.await();
                int mine = 0;
                for (int i = 0; i < 2_000_000; i++) {
                    mine += rates.acquire("mallory") == 0 ? 1 : 0;
                }
                through.addAndGet(mine);
                return null;
            }));
        }
        go.countDown();
        for (Future<?> thread : threads) {
            thread.get(60, TimeUnit.SECONDS);
        }
        pool.shutdownNow();
        assertEquals(4_000_000, through.get(), "the burst, not a request more, of 8,000,000 asked at once");
    }

    /**
     * 100,000 users, each asking once, a millisecond apart, through a table of 1,024: it never
     * remembers more than 1,024, the first users are forgotten, and a user flooding all along is
     * never forgotten (it is always the furthest from a full bucket in its set), so it gets no more
     * than its burst plus its rate over the whole time.
     */
    @Test
    void a_hundred_thousand_users_never_take_more_than_the_table_and_a_flooder_stays_limited() {
        UserRates rates = new UserRates(5, 10, 1024, now::get);
        assertEquals(1024, rates.capacity());
        long start = now.get();
        int flooderThrough = 0;
        int most = 0;
        for (int i = 0; i < 100_000; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            assertEquals(0, rates.acquire("user-" + i), "a user's first request");
            flooderThrough += rates.acquire("mallory") == 0 ? 1 : 0;
            if (i % 1000 == 0) {
                most = Math.max(most, rates.size());
            }
        }
        most = Math.max(most, rates.size());
        assertTrue(most <= 1024, "remembered " + most + " users, more than the table's 1,024");
        assertEquals(1024, rates.size(), "the table is full, not more");
        assertFalse(rates.remembers("user-0"), "the first users were forgotten");
        assertTrue(rates.remembers("mallory"), "the flooder was not");
        long first = start + TimeUnit.MILLISECONDS.toNanos(1);
        long intervals = (now.get() - first) / (SECOND / 5);
        assertEquals(10 + intervals, flooderThrough, "the burst, then one every 200 ms (5 a second) for "
                + (now.get() - first) / 1e9 + " s");
    }

    @Test
    void the_table_is_rounded_up_to_whole_sets_of_a_power_of_two() {
        assertEquals(8, new UserRates(1, 1, 1).capacity());
        assertEquals(16, new UserRates(1, 1, 9).capacity());
        assertEquals(65_536, new UserRates(1, 1, 65_536).capacity());
        assertEquals(131_072, new UserRates(1, 1, 65_537).capacity());
    }
}
