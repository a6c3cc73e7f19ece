package io.ticketrush.redis.connect;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class CircuitBreakerTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final CircuitBreaker breaker = new CircuitBreaker(3, 500, nanos::get);

    private void advanceMillis(long millis) {
        nanos.addAndGet(millis * 1_000_000);
    }

    @Test
    void it_opens_after_the_configured_failures_in_a_row() {
        breaker.onFailure();
        breaker.onFailure();
        assertTrue(breaker.allow(), "two failures do not open it");
        breaker.onSuccess();
        breaker.onFailure();
        breaker.onFailure();
        assertTrue(breaker.allow(), "a success in between starts the count again");
        breaker.onFailure();
        assertFalse(breaker.allow(), "three in a row open it");
        assertTrue(breaker.isOpen());
    }

    @Test
    void once_open_it_lets_exactly_one_probe_through_per_period() {
        for (int i = 0; i < 3; i++) {
            breaker.onFailure();
        }
        advanceMillis(499);
        assertFalse(breaker.allow());
        advanceMillis(1);
        assertTrue(breaker.allow(), "the probe");
        assertFalse(breaker.allow(), "only one probe at a time");
        breaker.onFailure();
        advanceMillis(499);
        assertFalse(breaker.allow(), "a failed probe keeps it open for another period");
        advanceMillis(1);
        assertTrue(breaker.allow());
        breaker.onSuccess();
        assertFalse(breaker.isOpen());
        assertTrue(breaker.allow());
        assertTrue(breaker.allow(), "closed again: everyone goes through");
    }
}
