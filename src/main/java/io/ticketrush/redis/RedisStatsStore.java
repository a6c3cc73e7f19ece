package io.ticketrush.redis;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.ticketrush.stats.ClusterView;
import io.ticketrush.stats.StatsStore;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/** Node reports in the hash {@link Keys#nodeStats()}, read together with the stock and the writer's counters. */
final class RedisStatsStore implements StatsStore {
    private final RedisCalls redis;
    private final Keys keys;

    RedisStatsStore(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public Readings publish(int port, String report) {
        List<String> read = redis.call(jedis -> {
            Pipeline pipeline = jedis.pipelined();
            pipeline.hset(keys.nodeStats(), String.valueOf(port), report);
            Response<List<String>> global = pipeline.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD);
            Response<String> deadLetters = pipeline.hget(keys.writerStats(), Keys.DEAD_LETTERS);
            pipeline.sync();
            return Arrays.asList(global.get().get(0), global.get().get(1), deadLetters.get());
        });
        Long remaining = read.get(0) == null ? null : Math.max(0, Long.parseLong(read.get(0)) - number(read.get(1)));
        return new Readings(remaining, number(read.get(2)));
    }

    @Override
    public ClusterView.Raw read() {
        return redis.call(jedis -> {
            Pipeline pipeline = jedis.pipelined();
            Response<Map<String, String>> reports = pipeline.hgetAll(keys.nodeStats());
            Response<List<String>> stock = pipeline.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD, Keys.PAID,
                    Keys.EXPIRED);
            Response<List<String>> writer = pipeline.hmget(keys.writerStats(), Keys.IN_DATABASE, Keys.LAST_WRITE,
                    Keys.DEAD_LETTERS);
            pipeline.sync();
            List<String> s = stock.get();
            List<String> w = writer.get();
            return new ClusterView.Raw(reports.get(), s.get(0) == null ? null : Long.parseLong(s.get(0)),
                    number(s.get(1)), number(s.get(2)), number(s.get(3)), number(w.get(0)),
                    w.get(1) == null ? null : Long.parseLong(w.get(1)), number(w.get(2)));
        });
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }
}
