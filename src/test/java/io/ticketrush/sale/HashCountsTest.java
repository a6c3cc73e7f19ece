package io.ticketrush.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The primitive map behind {@link Winners}, against a HashMap doing the same. */
class HashCountsTest {

    @Test
    void it_counts_as_a_map_would_through_growth_and_removals() {
        HashCounts counts = new HashCounts();
        Map<Long, Integer> expected = new HashMap<>();
        Random random = new Random(42);
        for (int i = 0; i < 200_000; i++) {
            // few distinct keys, so that removals and their shifts happen in crowded runs
            long key = random.nextInt(5000) * 0x9E3779B97F4A7C15L;
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    counts.increment(key);
                    expected.merge(key, 1, Integer::sum);
                }
                case 2 -> {
                    counts.decrement(key);
                    expected.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
                }
                default -> {
                    counts.remove(key);
                    expected.remove(key);
                }
            }
        }
        for (int k = 0; k < 5000; k++) {
            long key = k * 0x9E3779B97F4A7C15L;
            assertEquals(expected.containsKey(key), counts.contains(key), "key " + k);
        }
        assertEquals(expected.size(), counts.size());
    }

    @Test
    void zero_is_a_key_like_any_other() {
        HashCounts counts = new HashCounts();
        counts.increment(0);
        assertEquals(true, counts.contains(0));
        counts.decrement(0);
        assertEquals(false, counts.contains(0));
    }
}
