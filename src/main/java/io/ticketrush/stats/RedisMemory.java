package io.ticketrush.stats;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Redis's memory against its limit, as a node last read it: {@code used} the bytes Redis has
 * allocated ({@code MEMORY STATS}' {@code total.allocated}; in a cluster, the fullest master's),
 * {@code limit} the {@code maxmemory} ./rush gave it ({@code rush.redis.maxmemory.bytes}; 0: not known).
 * Past the limit Redis refuses writes and a buy answers 503 (docs/orders.md): the dashboard
 * warns from {@link #WARNING_PERCENT}%.
 *
 * @param used bytes allocated; -1: not read yet (or the last read failed)
 */
public record RedisMemory(long used, long limit) {
    public static final int WARNING_PERCENT = 80;

    /** Whether the use is known, the limit is, and the use has reached {@link #WARNING_PERCENT}% of it. */
    public boolean warning() {
        return used >= 0 && limit > 0 && used * 100 >= limit * WARNING_PERCENT;
    }

    /** The dashboard's figures: used and limit in bytes (null: not known), the share used, the warning. */
    public Map<String, Object> toMap() {
        Map<String, Object> memory = new LinkedHashMap<>();
        memory.put("usedBytes", used < 0 ? null : used);
        memory.put("limitBytes", limit > 0 ? limit : null);
        memory.put("share", used >= 0 && limit > 0 ? (double) used / limit : null);
        memory.put("warningShare", WARNING_PERCENT / 100.0);
        memory.put("warning", warning());
        return memory;
    }
}
