package io.ticketrush.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import io.ticketrush.redis.keys.Keys;
import redis.clients.jedis.Jedis;

/** The orders of a sale as its orders hash holds them ({@link Keys#ORDER}), read straight from Redis by tests. */
public final class RedisOrders {
    private RedisOrders() {
    }

    /** Every order of the sale: each one's fields by name, its id under {@link Keys#ID}. */
    public static List<Map<String, String>> all(Jedis jedis, Keys keys) {
        List<Map<String, String>> orders = new ArrayList<>();
        jedis.hgetAll(keys.orders()).forEach((id, packed) -> orders.add(fields(id, packed)));
        return orders;
    }

    /** One order's fields by name (its id under {@link Keys#ID}); null if the sale has no such order. */
    public static Map<String, String> one(Jedis jedis, Keys keys, String id) {
        String packed = jedis.hget(keys.orders(), id);
        return packed == null ? null : fields(id, packed);
    }

    private static Map<String, String> fields(String id, String packed) {
        String[] values = packed.split(Pattern.quote(Keys.ORDER_SEPARATOR), -1);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put(Keys.ID, id);
        for (int i = 0; i < Keys.ORDER.size(); i++) {
            fields.put(Keys.ORDER.get(i), values[i]);
        }
        return fields;
    }
}
