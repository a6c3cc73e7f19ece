package io.ticketrush.redis.connect;

import java.util.concurrent.atomic.LongAdder;

import io.ticketrush.settings.Replication;
import redis.clients.jedis.Jedis;

/**
 * Waits until a replica has the writes a connection made ({@code WAIT n ms}), before a buyer is
 * told of them: Redis replicates asynchronously, and a failover promotes a replica, so a write
 * the primary alone has is not yet a ticket anyone may be told of (docs/replication.md). Counts
 * the waits, their time and those that ran out, for {@code /metrics} and the tests.
 *
 * <p>{@code WAIT} counts the replicas that acknowledged the connection's own last write, so it
 * must follow the writes on the same connection, and only a call that wrote something may ask.
 */
public final class ReplicaWaits {
    private final int replicas;
    private final int timeoutMillis;
    private final LongAdder waits = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder timeouts = new LongAdder();

    ReplicaWaits(int replicas, int timeoutMillis) {
        this.replicas = replicas;
        this.timeoutMillis = timeoutMillis;
    }

    public static ReplicaWaits of(Replication replication) {
        return new ReplicaWaits(replication.replicasToWait(), replication.waitMillis());
    }

    /** Nothing to wait for: one Redis, no replicas. */
    static ReplicaWaits none() {
        return new ReplicaWaits(0, 1);
    }

    /**
     * True once enough replicas have every write {@code jedis} made (at once without replicas to
     * wait for); false if they did not within the timeout. The caller must have written on {@code jedis}.
     */
    public boolean reached(Jedis jedis) {
        if (replicas == 0) {
            return true;
        }
        long start = System.nanoTime();
        long acknowledged = jedis.waitReplicas(replicas, timeoutMillis);
        nanos.add(System.nanoTime() - start);
        waits.increment();
        if (acknowledged < replicas) {
            timeouts.increment();
            return false;
        }
        return true;
    }

    /** Whether writes wait for replicas at all. */
    public boolean waiting() {
        return replicas > 0;
    }

    public int timeoutMillis() {
        return timeoutMillis;
    }

    /** Waits done. */
    public long count() {
        return waits.sum();
    }

    /** Their time in all, in nanoseconds (a round trip to the primary and its replica's acknowledgement). */
    public long nanos() {
        return nanos.sum();
    }

    /** Waits that ran out before a replica had the writes: each a 503. */
    public long timeouts() {
        return timeouts.sum();
    }
}
