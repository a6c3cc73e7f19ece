package io.ticketrush.support;

import java.time.Duration;

/**
 * One stretch factor for every wall-clock bound in the tests, for slow or loaded machines:
 * {@code -Drush.test.timescale=2} (or {@code RUSH_TEST_TIMESCALE=2} in the environment) doubles
 * each deadline and latency bound a test states. 1 by default. A bound that can be written as an
 * ordering (this happened before that) should be; this is for the ones that cannot.
 */
public final class TimeScale {
    /** The factor in force: at least 1. */
    public static final double FACTOR = read();

    private TimeScale() {
    }

    /** {@code limit} stretched by the factor. */
    public static Duration of(Duration limit) {
        return Duration.ofNanos((long) Math.ceil(limit.toNanos() * FACTOR));
    }

    /** {@code millis} stretched by the factor. */
    public static long ms(long millis) {
        return (long) Math.ceil(millis * FACTOR);
    }

    private static double read() {
        String value = System.getProperty("rush.test.timescale");
        if (value == null || value.isBlank()) {
            value = System.getenv("RUSH_TEST_TIMESCALE");
        }
        if (value == null || value.isBlank()) {
            return 1.0;
        }
        double factor;
        try {
            factor = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rush.test.timescale: not a number: " + value, e);
        }
        if (!(factor >= 1.0 && factor <= 100.0)) {
            throw new IllegalArgumentException("rush.test.timescale: must be from 1 to 100, not " + value);
        }
        return factor;
    }
}
