package io.ticketrush.chaos;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.ticketrush.redis.Keys;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.RedisSentinelGroup;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Reads {@code ticket_sold_nums} on every server of a replicated Redis or a Redis Cluster, the
 * masters and the replicas alike, every few milliseconds for as long as a sale runs: "at every
 * moment Redis sold <= total" is checked on these samples, not only at the end. A server that
 * does not answer within 200 ms (killed, stopped, starting) is passed over for that round; a
 * cluster node that does not hold a key (it answers MOVED) is not asked for it again until it
 * answers something else.
 */
final class SoldSampler implements AutoCloseable {
    private static final long PERIOD_MILLIS = 10;
    private static final int TIMEOUT_MILLIS = 200;

    private final Supplier<List<Integer>> ports;
    /** Cluster replicas answer reads of their master's slots only after READONLY. */
    private final boolean readOnly;
    /** stock key -> its readings. */
    private final Map<String, Readings> keys = new LinkedHashMap<>();
    private final Map<Integer, Jedis> connections = new HashMap<>(); // the sampler's thread only
    private final Thread thread;
    private volatile boolean running = true;

    private SoldSampler(Supplier<List<Integer>> ports, boolean readOnly, List<String> keys) {
        this.ports = ports;
        this.readOnly = readOnly;
        keys.forEach(key -> this.keys.put(key, new Readings()));
        this.thread = new Thread(this::run, "chaos-sold-sampler");
        this.thread.setDaemon(true);
    }

    static SoldSampler start(RedisSentinelGroup group, String key) {
        return start(new SoldSampler(group::serverPorts, false, List.of(key)));
    }

    /** Samples each of {@code keys} (stock hashes) on every node of {@code group}. */
    static SoldSampler start(RedisClusterGroup group, List<String> keys) {
        return start(new SoldSampler(group::ports, true, keys));
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
                        jedis = new Jedis("127.0.0.1", port, TIMEOUT_MILLIS);
                        connections.put(port, jedis);
                        if (readOnly) {
                            jedis.readonly();
                        }
                    }
                    for (Map.Entry<String, Readings> key : keys.entrySet()) {
                        sample(jedis, key.getKey(), key.getValue());
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
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                break;
            }
        }
        connections.values().forEach(Jedis::close);
    }

    /** How often a key was read, and the most sold any server said. */
    private static final class Readings {
        final AtomicLong samples = new AtomicLong();
        final AtomicLong most = new AtomicLong();
    }

    private static void sample(Jedis jedis, String key, Readings readings) {
        String sold;
        try {
            sold = jedis.hget(key, Keys.SOLD);
        } catch (JedisRedirectionException elsewhere) {
            return; // a cluster node that does not serve this key's slot
        }
        readings.samples.incrementAndGet();
        readings.most.accumulateAndGet(sold == null ? 0 : Long.parseLong(sold), Math::max);
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
