package io.ticketrush.support;

import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.ticketrush.redis.keys.Keys;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * Everything a Redis holds, as text (every key, its type and its whole value; a stream's entries
 * with their ids), so a test can assert that a refused request changed nothing at all. The nodes'
 * reports for the dashboard ({@link Keys#nodeStats()}) are left out: each node rewrites its own
 * every 500 ms, whatever the requests.
 */
public final class RedisSnapshot {
    private RedisSnapshot() {
    }

    public static Map<String, String> of(Jedis jedis) {
        Map<String, String> all = new TreeMap<>();
        for (String key : jedis.keys("*")) {
            if (key.equals(Keys.nodeStats())) {
                continue;
            }
            String type = jedis.type(key);
            String value = switch (type) {
                case "hash" -> new TreeMap<>(jedis.hgetAll(key)).toString();
                case "stream" -> jedis.xrange(key, (StreamEntryID) null, null).stream()
                        .map(e -> e.getID() + "=" + e.getFields()).toList().toString();
                case "zset" -> jedis.zrangeWithScores(key, 0, -1).toString();
                case "set" -> new TreeSet<>(jedis.smembers(key)).toString();
                case "list" -> jedis.lrange(key, 0, -1).toString();
                default -> jedis.get(key) + " ttl>0:" + (jedis.pttl(key) > 0);
            };
            all.put(key, type + ":" + value);
        }
        return all;
    }
}
