package io.ticketrush.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Purchase;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.NodeSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The node's counters: results by status and purchase, and each window's rate and percentiles. */
class NodeStatsTest {
    private static final long SECOND = 1_000_000_000L;

    private final NodeSettings config = NodeSettings.from(name -> null);
    private final NodeStats stats = new NodeStats(config, () -> new LocalStock(10));

    @AfterEach
    void close() {
        stats.close();
    }

    @Test
    void every_answer_counts_once_under_its_result() {
        stats.answered(200, purchase(Outcome.TICKET));
        stats.answered(200, purchase(Outcome.TICKET));
        stats.answered(200, purchase(Outcome.EXISTING));
        stats.answered(200, purchase(Outcome.SOLD_OUT));
        stats.answered(503, null);
        stats.answered(400, null);
        stats.answered(405, null);
        stats.answered(500, null);

        assertEquals(2, stats.count(Outcome.TICKET));
        assertEquals(1, stats.count(Outcome.EXISTING));
        assertEquals(1, stats.count(Outcome.SOLD_OUT));
        assertEquals(1, stats.count(NodeStats.Failure.BUSY));
        assertEquals(2, stats.count(NodeStats.Failure.BAD_REQUEST));
        assertEquals(1, stats.count(NodeStats.Failure.ERROR));
        assertEquals(8, stats.requests());
    }

    @Test
    void a_sample_covers_only_what_happened_since_the_last_one() {
        long start = System.nanoTime();
        stats.sample(start);
        record(90, 2_000_000);
        record(10, 100_000_000);

        NodeStats.Window window = stats.sample(start + 2 * SECOND);

        assertEquals(50.0, window.requestsPerSecond(), 1e-9, "100 answers in 2 s");
        // the histogram's buckets are up to a third apart; the value is interpolated within one
        assertEquals(2.0, window.p50Millis(), 2.0 * 0.34, () -> "p50 " + window.p50Millis());
        assertEquals(100.0, window.p99Millis(), 100.0 * 0.34, () -> "p99 " + window.p99Millis());

        record(100, 20_000_000);
        NodeStats.Window next = stats.sample(start + 3 * SECOND);
        assertEquals(100.0, next.requestsPerSecond(), 1e-9);
        assertEquals(20.0, next.p99Millis(), 20.0 * 0.34, "the 100 ms answers are in the window before");

        NodeStats.Window quiet = stats.sample(start + 4 * SECOND);
        assertEquals(new NodeStats.Window(0, 0, 0), quiet, "nothing answered, nothing to report");
    }

    @Test
    void the_capacity_to_sell_is_the_most_tickets_a_second_of_a_window_answered_within_the_p99_bound() {
        long start = System.nanoTime();
        stats.sample(start);
        assertEquals(0.0, stats.sellCapacity(), "nothing sold: not measured");
        sell(300, 2_000_000);
        record(100, 2_000_000); // sold-out answers are fast, but sell nothing
        stats.sample(start + 2 * SECOND);
        assertEquals(150.0, stats.sellCapacity(), "300 tickets in 2 s, p99 about 2 ms");

        sell(400, 2_000_000);
        stats.sample(start + 3 * SECOND);
        assertEquals(400.0, stats.sellCapacity(), "a faster window within the bound raises it");

        sell(1000, 900_000_000); // a crowd queued: 1,000 a second, but p99 about 900 ms
        stats.sample(start + 4 * SECOND);
        assertEquals(400.0, stats.sellCapacity(), "a window past the p99 bound shows a crowd, not a capacity");

        sell(100, 2_000_000);
        stats.sample(start + 5 * SECOND);
        assertEquals(400.0, stats.sellCapacity(), "a slower window within the bound does not lower it");
    }

    @Test
    void the_dead_letters_gauge_shows_what_the_publisher_last_read_and_nothing_before() {
        assertTrue(stats.scrape().contains("\nrush_orders_dead_letters NaN\n"), "not read yet: no number");
        stats.deadLetters(4);
        assertTrue(stats.scrape().contains("\nrush_orders_dead_letters 4.0\n"), stats::scrape);
    }

    @Test
    void the_writer_lag_gauges_show_what_the_publisher_last_read_and_how_old_it_is() {
        assertTrue(stats.scrape().contains("\nrush_orders_writer_lag NaN\n"), "not read yet: no number");
        assertTrue(stats.scrape().contains("\nrush_orders_writer_lag_age_seconds NaN\n"), stats::scrape);
        stats.writerLag(250, System.currentTimeMillis() - 90_000);
        String text = stats.scrape();
        assertTrue(text.contains("\nrush_orders_writer_lag 250.0\n"), text);
        double age = Double.parseDouble(text.split("\nrush_orders_writer_lag_age_seconds ")[1].split("\n")[0]);
        assertTrue(age >= 90 && age < 90 + io.ticketrush.support.TimeScale.of(java.time.Duration.ofSeconds(30)).toSeconds(),
                "counted 90 s ago: " + age);
    }

    private void record(int answers, long nanos) {
        for (int i = 0; i < answers; i++) {
            stats.answered(200, purchase(Outcome.SOLD_OUT));
            stats.took(nanos);
        }
    }

    private void sell(int tickets, long nanos) {
        for (int i = 0; i < tickets; i++) {
            stats.answered(200, purchase(Outcome.TICKET));
            stats.took(nanos);
        }
    }

    private static Purchase purchase(Outcome result) {
        return new Purchase(result, null, 0, 0);
    }

    /** A global stock that is never asked: these tests only count. */
    private static final class NoStock implements GlobalStock {
        @Override
        public List<Reservation> reserveAll(List<Request> requests, Sale sale) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Reservation> existing(Buyer buyer) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Snapshot snapshot() {
            throw new UnsupportedOperationException();
        }
    }
    @Test
    void redis_memory_is_not_a_number_until_read_and_warns_from_exactly_80_percent_of_the_limit() {
        // the default: no limit known
        assertTrue(stats.scrape().contains("\nrush_redis_memory_used_bytes NaN\n"), "not read yet: no number");
        assertTrue(stats.scrape().contains("\nrush_redis_memory_limit_bytes 0.0\n"), stats::scrape);
        stats.redisMemoryUsed(999);
        assertTrue(stats.scrape().contains("\nrush_redis_memory_used_bytes 999.0\n"), stats::scrape);
        assertEquals(false, stats.redisMemory().warning(), "no limit known: no warning");
        stats.redisMemoryUsed(-1);
        assertTrue(stats.scrape().contains("\nrush_redis_memory_used_bytes NaN\n"), "a failed read: no number");

        long limit = 1_000_000;
        try (NodeStats limited = new NodeStats(NodeSettings.from(name -> "rush.redis.maxmemory.bytes".equals(name)
                ? String.valueOf(limit) : null), () -> new LocalStock(10))) {
            assertTrue(limited.scrape().contains("\nrush_redis_memory_limit_bytes 1000000.0\n"), limited::scrape);
            limited.redisMemoryUsed(799_999);
            assertEquals(false, limited.redisMemory().warning(), "79.9999%");
            assertEquals(false, limited.redisMemory().toMap().get("warning"));
            limited.redisMemoryUsed(800_000);
            assertEquals(true, limited.redisMemory().warning(), "80%");
            assertEquals(0.8, limited.redisMemory().toMap().get("share"));
            assertEquals(800_000L, limited.redisMemory().toMap().get("usedBytes"));
            assertEquals(limit, limited.redisMemory().toMap().get("limitBytes"));
            limited.redisMemoryUsed(-1);
            assertEquals(false, limited.redisMemory().warning(), "not known: no warning");
        }
    }
}
