package io.ticketrush.chaos;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.ticketrush.redis.Keys;
import io.ticketrush.support.RedisSentinelGroup;
import redis.clients.jedis.Jedis;

/**
 * Reads {@code ticket_sold_nums} on every server of a replicated Redis, the primary and the
 * replicas alike, every few milliseconds for as long as a sale runs: "at every moment Redis sold
 * <= total" is checked on these samples, not only at the end. A server that does not answer
 * within 200 ms (killed, stopped, starting) is passed over for that round.
 */
final class SoldSampler implements AutoCloseable {
    private static final long PERIOD_MILLIS = 10;
    private static final int TIMEOUT_MILLIS = 200;

    private final RedisSentinelGroup group;
    private final String key;
    private final Map<Integer, Jedis> connections = new HashMap<>(); // the sampler's thread only
    private final AtomicLong samples = new AtomicLong();
    private final AtomicLong most = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private SoldSampler(RedisSentinelGroup group, String key) {
        this.group = group;
        this.key = key;
        this.thread = new Thread(this::run, "chaos-sold-sampler");
        this.thread.setDaemon(true);
    }

    static SoldSampler start(RedisSentinelGroup group, String key) {
        SoldSampler sampler = new SoldSampler(group, key);
        sampler.thread.start();
        return sampler;
    }

    private void run() {
        while (running) {
            for (int port : group.serverPorts()) {
                Jedis jedis = null;
                try {
                    jedis = connections.computeIfAbsent(port, p -> new Jedis("127.0.0.1", p, TIMEOUT_MILLIS));
                    String sold = jedis.hget(key, Keys.SOLD);
                    samples.incrementAndGet();
                    most.accumulateAndGet(sold == null ? 0 : Long.parseLong(sold), Math::max);
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

    /** Readings taken (one per server answering, per round). */
    long samples() {
        return samples.get();
    }

    /** The most any server ever said was sold. */
    long most() {
        return most.get();
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
