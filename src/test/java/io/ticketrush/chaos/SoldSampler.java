package io.ticketrush.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.RedisSentinelGroup;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisMovedDataException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Reads {@code ticket_sold_nums} on every server of a replicated Redis or a Redis Cluster, the
 * masters and the replicas alike, every few milliseconds for as long as a sale runs: "at every
 * moment Redis sold <= total" is checked on these samples, not only at the end. Each reading takes
 * a stock hash's total and sold together (one HMGET: one moment of that server), so a sale whose
 * total moves (a hot sale's bucket, see {@link #overTotal}) is checked against its total of that
 * moment. A server that
 * does not answer within 200 ms (killed, stopped, starting) is passed over for that round; a
 * cluster node that does not hold a key (it answers MOVED) is not asked for it again until it
 * answers something else.
 *
 * <p>{@link #startSummed}: each round also reads every key's sold on the master that serves it
 * now, one after another, and adds them up: a hot sale's buckets' sold together ({@link #mostSum}).
 */
final class SoldSampler implements AutoCloseable {
    private static final long PERIOD_MILLIS = 10;
    private static final int TIMEOUT_MILLIS = 200;

    private final Supplier<List<Integer>> ports;
    /** A connection to a server by its port, as the operator (the group's password). */
    private final IntFunction<Jedis> connect;
    /** Cluster replicas answer reads of their master's slots only after READONLY. */
    private final boolean readOnly;
    /** stock key -> its readings. */
    private final Map<String, Readings> keys = new LinkedHashMap<>();
    private final Map<Integer, Jedis> connections = new HashMap<>(); // the sampler's thread only
    /** Whether each round adds the keys' sold up, read on their masters. */
    private final boolean summed;
    /** Key -> the port that served it last (as master: a connection without READONLY), for the sums. */
    private final Map<String, Integer> masterOf = new HashMap<>(); // the sampler's thread only
    private final Map<Integer, Jedis> masterConnections = new HashMap<>(); // the sampler's thread only
    /** Stock key -> its sale's keys (for the summed sampler's timeline). */
    private final Map<String, Keys> sales = new HashMap<>();
    /**
     * The summed sampler's readings on the masters each time they changed: (System.nanoTime,
     * "sold/total" with the calls unsettled and transfers on record of each key), for a failure's
     * report; at most {@link #TIMELINE} of them.
     */
    private final List<Map.Entry<Long, String>> timeline = Collections.synchronizedList(new ArrayList<>());
    private static final int TIMELINE = 100_000;
    private String lastReading = "";
    private final AtomicLong sums = new AtomicLong();
    private final AtomicLong mostSum = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private SoldSampler(Supplier<List<Integer>> ports, IntFunction<Jedis> connect, boolean readOnly, List<String> keys,
            boolean summed) {
        this.ports = ports;
        this.connect = connect;
        this.readOnly = readOnly;
        this.summed = summed;
        keys.forEach(key -> this.keys.put(key, new Readings()));
        this.thread = new Thread(this::run, "chaos-sold-sampler");
        this.thread.setDaemon(true);
    }

    static SoldSampler start(RedisSentinelGroup group, String key) {
        return start(new SoldSampler(group::serverPorts, port -> group.client(port, TIMEOUT_MILLIS), false, List.of(key), false));
    }

    /** Samples each of {@code keys} (stock hashes) on every node of {@code group}. */
    static SoldSampler start(RedisClusterGroup group, List<String> keys) {
        return start(new SoldSampler(group::ports, port -> group.connect(port, TIMEOUT_MILLIS), true, keys, false));
    }

    /**
     * As {@link #start(RedisClusterGroup, List)}, and each round adds up the sold of all of
     * {@code keys} (a hot sale's buckets), each read on the master serving it then.
     */
    static SoldSampler startSummed(RedisClusterGroup group, List<Keys> buckets) {
        SoldSampler sampler = new SoldSampler(group::ports, port -> group.connect(port, TIMEOUT_MILLIS), true, buckets.stream().map(Keys::stock).toList(), true);
        buckets.forEach(bucket -> sampler.sales.put(bucket.stock(), bucket));
        return start(sampler);
    }

    private static SoldSampler start(SoldSampler sampler) {
        sampler.thread.start();
        return sampler;
    }

    private void run() {
        while (running) {
            for (int port : ports.get()) {
                Jedis jedis = null;
                try {
                    jedis = connections.get(port);
                    if (jedis == null) {
                        jedis = connect.apply(port);
                        connections.put(port, jedis);
                        if (readOnly) {
                            jedis.readonly();
                        }
                    }
                    for (Map.Entry<String, Readings> key : keys.entrySet()) {
                        sample(jedis, port, key.getKey(), key.getValue());
                    }
                } catch (RuntimeException e) {
                    // this server does not answer now: the others still count; connect again next round
                    connections.remove(port);
                    try {
                        if (jedis != null) {
                            jedis.disconnect();
                        }
                    } catch (RuntimeException broken) {
                        // it is gone already
                    }
                }
            }
            if (summed) {
                sampleSum();
            }
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                break;
            }
        }
        connections.values().forEach(Jedis::close);
        masterConnections.values().forEach(Jedis::close);
    }

    /**
     * One sum of every key's sold, each read on its master now (following MOVED); no sum this
     * round when one of them cannot be read (its master gone, the slot failing over). The reads
     * follow one another within a millisecond or so, not one moment: that is enough for "never
     * more than the total" because a bucket's sold only grows but for a voided call's ticket
     * (see the scenario that uses it).
     */
    private void sampleSum() {
        long sum = 0;
        StringBuilder reading = new StringBuilder();
        for (String key : keys.keySet()) {
            long[] stock = stockOnMaster(key);
            if (stock == null) {
                return;
            }
            sum += stock[1];
            reading.append(reading.length() == 0 ? "" : ", ").append(sales.get(key).sale()).append(' ')
                    .append(stock[1]).append('/').append(stock[0]).append(" unsettled ").append(stock[2])
                    .append(" moving ").append(stock[3]);
        }
        sums.incrementAndGet();
        mostSum.accumulateAndGet(sum, Math::max);
        String now = reading.toString();
        if (!now.equals(lastReading) && timeline.size() < TIMELINE) {
            timeline.add(Map.entry(System.nanoTime(), now));
            lastReading = now;
        }
    }

    /** {total, sold, unsettled calls, transfers on record} of {@code key}'s sale, read on its master; null: not now. */
    private long[] stockOnMaster(String key) {
        List<Integer> all = ports.get();
        int port = masterOf.getOrDefault(key, all.get(0));
        for (int hop = 0; hop < 3; hop++) {
            Jedis jedis = masterConnections.get(port);
            try {
                if (jedis == null) {
                    jedis = connect.apply(port);
                    masterConnections.put(port, jedis);
                }
                Keys sale = sales.get(key);
                List<String> stock = jedis.hmget(key, Keys.TOTAL, Keys.SOLD);
                masterOf.put(key, port);
                return new long[] {number(stock.get(0)), number(stock.get(1)), jedis.zcard(sale.unsettled()),
                    jedis.hlen(sale.transfers())};
            } catch (JedisMovedDataException moved) {
                port = moved.getTargetNode().getPort();
            } catch (RuntimeException e) {
                // gone, failing over or refusing: ask the next server next round (it redirects)
                masterConnections.remove(port);
                try {
                    if (jedis != null) {
                        jedis.disconnect();
                    }
                } catch (RuntimeException broken) {
                    // it is gone already
                }
                int at = all.indexOf(port);
                masterOf.put(key, all.get((at + 1) % all.size()));
                return null;
            }
        }
        return null;
    }

    /**
     * How often a key was read, the most sold any server said, and the readings in which a server
     * said more sold than its total of the same moment (the first of them, as "port: sold/total").
     */
    private static final class Readings {
        final AtomicLong samples = new AtomicLong();
        final AtomicLong most = new AtomicLong();
        final AtomicLong over = new AtomicLong();
        volatile String firstOver;
    }

    private static void sample(Jedis jedis, int port, String key, Readings readings) {
        List<String> stock;
        try {
            stock = jedis.hmget(key, Keys.TOTAL, Keys.SOLD);
        } catch (JedisRedirectionException elsewhere) {
            return; // a cluster node that does not serve this key's slot
        }
        readings.samples.incrementAndGet();
        long sold = stock.get(1) == null ? 0 : Long.parseLong(stock.get(1));
        readings.most.accumulateAndGet(sold, Math::max);
        if (stock.get(0) != null && sold > Long.parseLong(stock.get(0))) {
            if (readings.over.getAndIncrement() == 0) {
                readings.firstOver = port + ": " + sold + "/" + stock.get(0);
            }
        }
    }

    /** Readings taken (one per server answering, per round) of the first key. */
    long samples() {
        return keys.values().iterator().next().samples.get();
    }

    /** The most any server ever said was sold (of the first key). */
    long most() {
        return keys.values().iterator().next().most.get();
    }

    /** Readings taken of {@code key}: one per server that holds it and answered, per round. */
    long samples(String key) {
        return readings(key).samples.get();
    }

    /** The most any server ever said was sold of {@code key}. */
    long most(String key) {
        return readings(key).most.get();
    }

    /**
     * Readings of {@code key} in which a server said more was sold than its total at that moment
     * (each reading takes both at once), and the first of them ("port: sold/total"; null: none).
     */
    long overTotal(String key) {
        return readings(key).over.get();
    }

    String firstOverTotal(String key) {
        return readings(key).firstOver;
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }

    /** The summed sampler's readings between {@code fromNanos} and {@code toNanos} (System.nanoTime). */
    List<Map.Entry<Long, String>> timeline(long fromNanos, long toNanos) {
        synchronized (timeline) {
            return timeline.stream().filter(e -> e.getKey() >= fromNanos && e.getKey() <= toNanos).toList();
        }
    }

    /** Sums of every key's sold taken ({@link #startSummed}), and the largest of them. */
    long sums() {
        return sums.get();
    }

    long mostSum() {
        return mostSum.get();
    }

    private Readings readings(String key) {
        Readings readings = keys.get(key);
        if (readings == null) {
            throw new IllegalArgumentException("not sampled: " + key + " (sampled: " + keys.keySet() + ")");
        }
        return readings;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
