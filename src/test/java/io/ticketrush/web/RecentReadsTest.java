package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

import io.ticketrush.sale.StockUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The operators' reads, kept a second: how often the read runs, whatever the number of callers. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class RecentReadsTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final AtomicLong now = new AtomicLong(1_000 * SECOND);
    private final AtomicInteger reads = new AtomicInteger();

    private RecentReads<String, String> cache() {
        return new RecentReads<>(SECOND, now::get, key -> key + "#" + reads.incrementAndGet());
    }

    @Test
    void a_thousand_calls_within_a_second_read_once_and_the_next_second_reads_again() {
        RecentReads<String, String> cache = cache();
        long start = now.get();
        for (int ms = 0; ms < 1000; ms++) {
            now.set(start + TimeUnit.MILLISECONDS.toNanos(ms));
            assertEquals("G1#1", cache.get("G1"), "at " + ms + " ms");
        }
        now.set(start + SECOND - 1);
        assertEquals("G1#1", cache.get("G1"));
        assertEquals(1, reads.get(), "one read in the first second");
        now.set(start + SECOND);
        assertEquals("G1#2", cache.get("G1"));
        assertEquals(2, reads.get());
    }

    @Test
    void each_key_is_read_on_its_own() {
        RecentReads<String, String> cache = cache();
        assertEquals("G1#1", cache.get("G1"));
        assertEquals("G2#2", cache.get("G2"));
        assertEquals("G1#1", cache.get("G1"));
        assertEquals(2, reads.get());
    }

    @Test
    void many_callers_at_once_read_once_and_all_get_that_answer() throws Exception {
        int callers = 64;
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecentReads<String, String> cache = new RecentReads<>(SECOND, now::get, key -> {
            inRead.countDown();
            try {
                // the others arrive while this read is under way
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return key + "#" + reads.incrementAndGet();
        });
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> answers = new ArrayList<>();
        AtomicInteger waiting = new AtomicInteger();
        try {
            for (int i = 0; i < callers; i++) {
                answers.add(threads.submit(() -> {
                    go.await();
                    waiting.incrementAndGet();
                    return cache.get("G1");
                }));
            }
            go.countDown();
            assertTrue(inRead.await(30, TimeUnit.SECONDS), "one caller reads");
            while (waiting.get() < callers) {
                Thread.onSpinWait();
            }
            release.countDown();
            for (Future<String> answer : answers) {
                assertEquals("G1#1", answer.get(30, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, reads.get(), callers + " callers at once, one read");
    }

    @Test
    void a_failure_is_kept_as_long_as_an_answer_and_read_again_after() {
        StockUnavailableException down = new StockUnavailableException("ticket store unreachable: refused");
        RecentReads<String, String> cache = new RecentReads<>(SECOND, now::get, key -> {
            if (reads.incrementAndGet() == 1) {
                throw down;
            }
            return "back";
        });
        assertSame(down, assertThrows(StockUnavailableException.class, () -> cache.get("G1")));
        now.addAndGet(SECOND - 1);
        assertSame(down, assertThrows(StockUnavailableException.class, () -> cache.get("G1")));
        assertEquals(1, reads.get(), "Redis is not asked again within the second");
        now.incrementAndGet();
        assertEquals("back", cache.get("G1"));
        assertEquals(2, reads.get());
    }

    @Test
    void only_the_keys_read_last_are_kept() {
        RecentReads<String, String> cache = cache();
        for (int i = 0; i <= RecentReads.MAX_KEYS; i++) {
            cache.get("S" + i);
        }
        assertEquals(RecentReads.MAX_KEYS + 1, reads.get());
        // the newest MAX_KEYS are kept; the first one read went to make room
        assertEquals("S" + RecentReads.MAX_KEYS + "#" + (RecentReads.MAX_KEYS + 1), cache.get("S" + RecentReads.MAX_KEYS));
        assertEquals("S1#2", cache.get("S1"));
        assertEquals(RecentReads.MAX_KEYS + 1, reads.get());
        assertEquals("S0#" + (RecentReads.MAX_KEYS + 2), cache.get("S0"));
    }
}
