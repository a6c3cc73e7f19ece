package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The last answer of a read, per key, kept for a period: however many ask, the read runs at most
 * once a period per key. One caller runs it while the others of that key wait for its answer; a
 * failure is kept as long as an answer, so a Redis outage is not asked again by every caller.
 * Holds the {@link #MAX_KEYS} keys read last.
 *
 * @param <K> what is read (a sale id)
 * @param <V> its answer
 */
final class RecentReads<K, V> {
    /** Keys kept: far more than the sales a node serves at once; the oldest read goes first. */
    static final int MAX_KEYS = 256;

    private final long periodNanos;
    private final LongSupplier nanoTime;
    private final Function<K, V> read;
    private final Map<K, Entry<V>> entries = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
            return size() > MAX_KEYS;
        }
    };

    /** Reads with {@code read}, at most once every {@code periodNanos} of {@code nanoTime} per key. */
    RecentReads(long periodNanos, LongSupplier nanoTime, Function<K, V> read) {
        this.periodNanos = periodNanos;
        this.nanoTime = nanoTime;
        this.read = read;
    }

    /**
     * The answer for {@code key}: the last one if it is younger than the period, else a new read.
     *
     * @throws RuntimeException what the read threw, the last time it ran
     */
    V get(K key) {
        Entry<V> entry;
        synchronized (entries) {
            entry = entries.computeIfAbsent(key, k -> new Entry<>());
        }
        synchronized (entry) {
            long now = nanoTime.getAsLong();
            if (!entry.read || now - entry.at >= periodNanos) {
                try {
                    entry.value = read.apply(key);
                    entry.failure = null;
                } catch (RuntimeException e) {
                    entry.value = null;
                    entry.failure = e;
                }
                entry.at = now;
                entry.read = true;
            }
            if (entry.failure != null) {
                throw entry.failure;
            }
            return entry.value;
        }
    }

    /** Lets go of {@code key}'s last read (its sale was archived): the next get reads again. */
    void forget(K key) {
        synchronized (entries) {
            entries.remove(key);
        }
    }

    /** Whether a read of {@code key} is kept. */
    boolean holds(K key) {
        synchronized (entries) {
            return entries.containsKey(key);
        }
    }

    /** One key's last read; guarded by itself. */
    private static final class Entry<V> {
        private boolean read;
        private long at;
        private V value;
        private RuntimeException failure;
    }
}
