package io.ticketrush.redis.orders;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

import io.ticketrush.duty.Duty;
import io.ticketrush.order.Order;
import io.ticketrush.redis.connect.RedisConnections;
import io.ticketrush.redis.connect.RedisPools;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.OrderListener;
import io.ticketrush.settings.RedisSettings;
import io.ticketrush.settings.Replication;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Tails the order streams of the sales this node follows (those it has seen sold out), each from
 * its first entry: every order made, expired or voided, told to the sale's {@link OrderListener} a
 * moment after it happened (Redis hands a blocked reader the entry as the script that wrote it
 * ends). One thread and one connection of its own for all of them; after a failure it connects
 * again and goes on from the last entry it read of each.
 */
public final class RedisOrderFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisOrderFeed.class.getName());
    /** How long one read waits for news; a sale followed meanwhile joins the next read. */
    private static final int BLOCK_MILLIS = 200;
    private static final int BATCH = 1000;
    /** In a Redis Cluster, how long the feed waits when no server had news before it asks again. */
    private static final int POLL_MILLIS = 20;

    /** One stream followed: who hears of it, where reading it got to, whether it was read to its end once. */
    private static final class Followed {
        final OrderListener events;
        StreamEntryID last = new StreamEntryID();
        boolean caughtUp;

        Followed(OrderListener events) {
            this.events = events;
        }
    }

    private final RedisSettings redis;
    private final Map<String, Followed> followed = new ConcurrentHashMap<>();
    private final Duty duty = new Duty("reading the order streams", LOG);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Jedis connection;
    /** In a Redis Cluster: a pool per server, each server's streams read in one pipelined round trip. */
    private RedisConnections cluster;
    /** XREADs sent so far (counted with the node's other Redis calls). */
    private final LongAdder reads = new LongAdder();

    public RedisOrderFeed(RedisSettings redis) {
        this.redis = redis;
        this.thread = new Thread(this::run, "rush-order-feed");
        this.thread.setDaemon(true);
    }

    public RedisOrderFeed start() {
        thread.start();
        return this;
    }

    /**
     * Starts telling {@code events} of the sale's orders, from its stream's first entry. The same
     * listener again changes nothing; another one (a sale reset since: a new seller) takes over,
     * from the first entry of the stream as it is now.
     */
    public void follow(Keys keys, OrderListener events) {
        followed.compute(keys.orderStream(), (stream, old) -> old != null && old.events == events ? old
                : new Followed(events));
        LockSupport.unpark(thread); // a feed that followed nothing is sleeping: the new sale is read now
    }

    private void run() {
        while (running) {
            if (!duty.run(this::readAll)) {
                closeConnection();
                pause(200);
            }
        }
        closeConnection();
    }

    /** Reads until the feed is closed or the connection fails. */
    private void readAll() {
        while (running) {
            if (followed.isEmpty()) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(BLOCK_MILLIS));
                continue;
            }
            Map<String, StreamEntryID> from = new HashMap<>();
            followed.forEach((stream, f) -> from.put(stream, f.last));
            List<Map.Entry<String, List<StreamEntry>>> read;
            try {
                read = redis.replication().mode() == Replication.Mode.CLUSTER ? readEachServer(from)
                        : readBlocking(from);
            } catch (JedisConnectionException e) {
                if (!running) {
                    return; // closed under the read: not a failure
                }
                throw e;
            }
            Map<String, Integer> counts = new HashMap<>();
            if (read != null) {
                for (Map.Entry<String, List<StreamEntry>> stream : read) {
                    Followed f = followed.get(stream.getKey());
                    for (StreamEntry entry : stream.getValue()) {
                        tell(f.events, entry.getFields());
                        f.last = entry.getID();
                    }
                    counts.put(stream.getKey(), stream.getValue().size());
                }
            }
            // a stream read to its end (fewer entries than asked for, or none) has been heard in full
            from.keySet().forEach(stream -> {
                Followed f = followed.get(stream);
                if (!f.caughtUp && counts.getOrDefault(stream, 0) < BATCH) {
                    f.caughtUp = true;
                    f.events.caughtUp();
                }
            });
        }
    }

    /** One XREAD over every stream followed, waiting up to {@link #BLOCK_MILLIS} for news. */
    private List<Map.Entry<String, List<StreamEntry>>> readBlocking(Map<String, StreamEntryID> from) {
        if (connection == null) {
            connection = RedisPools.connect(redis, BLOCK_MILLIS + Math.max(redis.timeoutMillis(), 1000));
        }
        reads.increment();
        return connection.xread(XReadParams.xReadParams().count(BATCH).block(BLOCK_MILLIS), from);
    }

    /**
     * In a Redis Cluster one XREAD cannot name streams of different slots, and a blocked read hears
     * of one server only: each server's streams are read in one pipelined round trip without
     * blocking; when none had news, the feed waits {@link #POLL_MILLIS} before it asks again.
     */
    private List<Map.Entry<String, List<StreamEntry>>> readEachServer(Map<String, StreamEntryID> from) {
        if (cluster == null) {
            cluster = RedisPools.connections(redis, Math.max(redis.timeoutMillis(), 1000));
        }
        List<Map.Entry<String, List<StreamEntry>>> read = new ArrayList<>();
        for (List<String> some : cluster.byServer(from.keySet())) {
            reads.increment();
            try (Jedis jedis = cluster.borrow(some.get(0))) {
                Pipeline pipeline = jedis.pipelined();
                List<Response<List<Map.Entry<String, List<StreamEntry>>>>> each = new ArrayList<>(some.size());
                for (String stream : some) {
                    each.add(pipeline.xread(XReadParams.xReadParams().count(BATCH), Map.of(stream, from.get(stream))));
                }
                pipeline.sync();
                each.forEach(r -> {
                    if (r.get() != null) {
                        read.addAll(r.get());
                    }
                });
            } catch (JedisException e) {
                cluster.afterFailure(e);
                throw e;
            }
        }
        if (read.stream().allMatch(stream -> stream.getValue().isEmpty())) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
        }
        return read;
    }

    private static void tell(OrderListener events, Map<String, String> fields) {
        String event = fields.get(Keys.EVENT);
        String id = fields.get(Keys.ID);
        String user = blankToNull(fields.get(Keys.USER));
        String requestId = blankToNull(fields.get(Keys.RID));
        if (Keys.CREATED_EVENT.equals(event)) {
            events.created(id, user, requestId);
        } else if (Order.EXPIRED.equals(event) || Order.VOIDED.equals(event) || Order.CANCELLED.equals(event)) {
            events.returned(id, user, requestId, Order.VOIDED.equals(event));
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private void closeConnection() {
        Jedis jedis = connection;
        connection = null;
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException e) {
                // it is broken already
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        closeConnection(); // ends a read that is waiting for news
        try {
            thread.join(BLOCK_MILLIS + 2000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Reads sent to Redis so far. */
    public long reads() {
        return reads.sum();
    }
}
