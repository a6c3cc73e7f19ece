package io.ticketrush.redis.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.stats.ClusterView;
import io.ticketrush.stats.StatsStore;
import redis.clients.jedis.Response;

/** Node reports in the hash {@link Keys#nodeStats()}, read together with the sales' stock and the writer's counters. */
public final class RedisStatsStore implements StatsStore {
    private final RedisCalls redis;
    private final Function<String, Keys> keys;
    private final Supplier<List<Sale>> sales;

    public RedisStatsStore(RedisCalls redis, Function<String, Keys> keys, Supplier<List<Sale>> sales) {
        this.redis = redis;
        this.keys = keys;
        this.sales = sales;
    }

    @Override
    public Readings publish(int port, String report) {
        Keys main = keys.apply(Sale.DEFAULT);
        List<String> read = redis.pipelined(pipeline -> {
            pipeline.hset(Keys.nodeStats(), String.valueOf(port), report);
            Response<List<String>> global = pipeline.hmget(main.stock(), Keys.TOTAL, Keys.SOLD);
            Response<List<String>> writer = pipeline.hmget(Keys.writerStats(), Keys.DEAD_LETTERS, Keys.LAG,
                    Keys.LAG_AT);
            pipeline.sync();
            return Arrays.asList(global.get().get(0), global.get().get(1), writer.get().get(0), writer.get().get(1),
                    writer.get().get(2));
        });
        Long remaining = read.get(0) == null ? null : Math.max(0, Long.parseLong(read.get(0)) - number(read.get(1)));
        return new Readings(remaining, number(read.get(2)), orNull(read.get(3)), orNull(read.get(4)));
    }

    @Override
    public ClusterView.Raw read(String sale) {
        // a hot sale's figures are its buckets' (listed as sales of their own: "all" counts them once)
        List<Keys> of = new ArrayList<>();
        List<Sale> known = sales.get();
        if (sale != null) {
            Sale hot = known.stream().filter(s -> s.id().equals(sale) && s.bucketed()).findFirst().orElse(null);
            if (hot == null) {
                of.add(keys.apply(sale));
            } else {
                for (int b = 0; b < hot.buckets(); b++) {
                    of.add(keys.apply(hot.bucketId(b)));
                }
            }
        } else {
            known.stream().filter(s -> !s.bucketed()).forEach(s -> of.add(keys.apply(s.id())));
        }
        return redis.pipelined(pipeline -> {
            Response<Map<String, String>> reports = pipeline.hgetAll(Keys.nodeStats());
            List<Response<List<String>>> stocks = new ArrayList<>(of.size());
            List<Response<Long>> persisted = new ArrayList<>(of.size());
            for (Keys k : of) {
                stocks.add(pipeline.hmget(k.stock(), Keys.TOTAL, Keys.SOLD, Keys.PAID, Keys.EXPIRED));
                persisted.add(pipeline.scard(k.persisted()));
            }
            Response<List<String>> writer = pipeline.hmget(Keys.writerStats(), Keys.LAST_WRITE, Keys.DEAD_LETTERS);
            pipeline.sync();
            Long total = null;
            long sold = 0;
            long paid = 0;
            long expired = 0;
            long inDatabase = 0;
            for (int i = 0; i < of.size(); i++) {
                List<String> s = stocks.get(i).get();
                if (s.get(0) != null) {
                    total = (total == null ? 0 : total) + Long.parseLong(s.get(0));
                }
                sold += number(s.get(1));
                paid += number(s.get(2));
                expired += number(s.get(3));
                inDatabase += persisted.get(i).get();
            }
            List<String> w = writer.get();
            return new ClusterView.Raw(reports.get(), total, sold, paid, expired, inDatabase,
                    w.get(0) == null ? null : Long.parseLong(w.get(0)), number(w.get(1)));
        });
    }

    private static Long orNull(String value) {
        return value == null ? null : Long.valueOf(value);
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }
}
