package io.ticketrush.redis.orders;

import java.util.ArrayList;
import java.util.Collection;
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
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Holdings;
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
 * Follows the orders of the sales this node follows (those it has seen sold out): first who holds
 * orders at one moment (order_holders.lua, one script), then the sale's order stream from that
 * moment on: every order made, expired or voided, told to the sale's {@link OrderListener} a
 * moment after it happened (Redis hands a blocked reader the entry as the script that wrote it
 * ends). One thread and one connection of its own for all of them; after a failure it connects
 * again and goes on from the last entry it read of each.
 *
 * <p>The order writers trim the events they have written from the stream, once older than
 * {@code rush.stream.keep.ms} (trim_events.lua), so a feed never needs the stream's past; one that
 * fell further behind than that (a long pause, a failure) could have missed events. So at least
 * once a second, and on every read while it catches up or after a failure, it reads after its
 * read the newest event id trimmed of each stream ({@link Keys#EVENTS_TRIMMED}); a stream trimmed
 * past where that read started is loaded again, who holds what and then its stream.
 */
public final class RedisOrderFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisOrderFeed.class.getName());
    /** How long one read waits for news; a sale followed meanwhile joins the next read. */
    private static final int BLOCK_MILLIS = 200;
    private static final int BATCH = 1000;
    /** In a Redis Cluster, how long the feed waits when no server had news before it asks again. */
    private static final int POLL_MILLIS = 20;
    /** How often, at least, the feed asks whether its streams were trimmed past where it read. */
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One sale followed: who hears of it, and where reading its stream got to (null: to be loaded). */
    private static final class Followed {
        final Keys keys;
        final OrderListener events;
        StreamEntryID last;

        Followed(Keys keys, OrderListener events) {
            this.keys = keys;
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
    /** Round trips so far: loads, reads, checks (counted with the node's other Redis calls). */
    private final LongAdder reads = new LongAdder();
    /** Loads of who holds what so far: once per sale followed, again after a stream was trimmed past the feed. */
    private final LongAdder loads = new LongAdder();
    private long lastCheck;

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
     * Starts telling {@code events} of the sale's orders: who holds them now, then the stream from
     * that moment. The same listener again changes nothing; another one (a sale reset since: a new
     * seller) takes over, loaded afresh.
     */
    public void follow(Keys keys, OrderListener events) {
        followed.compute(keys.orderStream(), (stream, old) -> old != null && old.events == events ? old
                : new Followed(keys, events));
        LockSupport.unpark(thread); // a feed that followed nothing is sleeping: the new sale is read now
    }

    /** Stops following the sale (it was archived: its keys are gone); its listener hears no more. */
    public void unfollow(Keys keys) {
        followed.remove(keys.orderStream());
    }

    /** The streams followed now. */
    public int following() {
        return followed.size();
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
        boolean check = true; // the first read, after a start or a failure: a stream may have been trimmed meanwhile
        while (running) {
            if (followed.isEmpty()) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(BLOCK_MILLIS));
                continue;
            }
            Map<String, Followed> now = new HashMap<>(followed);
            for (Followed f : now.values()) {
                if (f.last == null) {
                    load(f);
                }
            }
            Map<String, StreamEntryID> from = new HashMap<>();
            now.forEach((stream, f) -> from.put(stream, f.last));
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
            boolean behind = false;
            if (read != null) {
                for (Map.Entry<String, List<StreamEntry>> stream : read) {
                    Followed f = now.get(stream.getKey());
                    if (followed.get(stream.getKey()) != f) {
                        continue; // let go of, or taken over by another listener, meanwhile
                    }
                    for (StreamEntry entry : stream.getValue()) {
                        tell(f.events, entry.getFields());
                        f.last = entry.getID();
                    }
                    behind |= stream.getValue().size() >= BATCH;
                }
            }
            if (check || behind || System.nanoTime() - lastCheck >= CHECK_NANOS) {
                reloadTrimmed(now, from);
                lastCheck = System.nanoTime();
            }
            check = behind;
        }
    }

    /** Who holds the sale's orders now, told to its listener; the stream is read on from that moment. */
    private void load(Followed f) {
        Keys k = f.keys;
        List<String> keys = List.of(k.stock(), k.orderStream(), k.holders(), k.requests());
        LuaScripts.OrderHolders holders;
        reads.increment();
        if (redis.replication().mode() == Replication.Mode.CLUSTER) {
            try (Jedis jedis = clusterConnections().borrow(k.stock())) {
                holders = LuaScripts.ORDER_HOLDERS.run(jedis, keys, List.of());
            } catch (JedisException e) {
                cluster.afterFailure(e);
                throw e;
            }
        } else {
            holders = LuaScripts.ORDER_HOLDERS.run(connection(), keys, List.of());
        }
        f.events.loaded(holdings(holders));
        f.last = new StreamEntryID(holders.lastEventId());
        loads.increment();
    }

    private static Holdings holdings(LuaScripts.OrderHolders holders) {
        Map<String, Integer> users = new HashMap<>();
        List<String> flat = holders.usersAndCounts();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            users.put(flat.get(i), Integer.parseInt(flat.get(i + 1)));
        }
        List<Holdings.Request> requests = new ArrayList<>(holders.requests().size());
        for (String request : holders.requests()) {
            // user:rid (user ids hold no ':'; an anonymous buyer's is empty)
            int colon = request.indexOf(':');
            String user = request.substring(0, colon);
            requests.add(new Holdings.Request(user.isEmpty() ? null : user, request.substring(colon + 1)));
        }
        long last = holders.lastOrderId().isEmpty() ? 0 : Long.parseLong(holders.lastOrderId());
        return new Holdings(last, users, requests);
    }

    /**
     * Reads, after the read, the newest event trimmed of each stream read; one trimmed past where
     * that read started ({@code from}) may have lost events the feed never heard: loaded again.
     */
    private void reloadTrimmed(Map<String, Followed> now, Map<String, StreamEntryID> from) {
        Map<String, String> marks = new HashMap<>();
        if (redis.replication().mode() == Replication.Mode.CLUSTER) {
            for (List<String> some : clusterConnections().byServer(from.keySet())) {
                reads.increment();
                try (Jedis jedis = cluster.borrow(some.get(0))) {
                    marks.putAll(marks(jedis, some, now));
                } catch (JedisException e) {
                    cluster.afterFailure(e);
                    throw e;
                }
            }
        } else {
            reads.increment();
            marks.putAll(marks(connection(), from.keySet(), now));
        }
        marks.forEach((stream, mark) -> {
            Followed f = now.get(stream);
            if (mark != null && new StreamEntryID(mark).compareTo(from.get(stream)) > 0 && followed.get(stream) == f) {
                LOG.info(() -> "order feed: the stream of " + f.keys.sale() + " was trimmed past where this node read"
                        + " it (" + from.get(stream) + " < " + mark + "): loading who holds what again");
                f.last = null;
            }
        });
    }

    private static Map<String, String> marks(Jedis jedis, Collection<String> streams,
            Map<String, Followed> now) {
        Pipeline pipeline = jedis.pipelined();
        Map<String, Response<String>> each = new HashMap<>();
        for (String stream : streams) {
            each.put(stream, pipeline.hget(now.get(stream).keys.stock(), Keys.EVENTS_TRIMMED));
        }
        pipeline.sync();
        Map<String, String> marks = new HashMap<>();
        each.forEach((stream, mark) -> marks.put(stream, mark.get()));
        return marks;
    }

    private Jedis connection() {
        if (connection == null) {
            connection = RedisPools.connect(redis, BLOCK_MILLIS + Math.max(redis.timeoutMillis(), 1000));
        }
        return connection;
    }

    private RedisConnections clusterConnections() {
        if (cluster == null) {
            cluster = RedisPools.connections(redis, Math.max(redis.timeoutMillis(), 1000));
        }
        return cluster;
    }

    /** One XREAD over every stream followed, waiting up to {@link #BLOCK_MILLIS} for news. */
    private List<Map.Entry<String, List<StreamEntry>>> readBlocking(Map<String, StreamEntryID> from) {
        reads.increment();
        return connection().xread(XReadParams.xReadParams().count(BATCH).block(BLOCK_MILLIS), from);
    }

    /**
     * In a Redis Cluster one XREAD cannot name streams of different slots, and a blocked read hears
     * of one server only: each server's streams are read in one pipelined round trip without
     * blocking; when none had news, the feed waits {@link #POLL_MILLIS} before it asks again.
     */
    private List<Map.Entry<String, List<StreamEntry>>> readEachServer(Map<String, StreamEntryID> from) {
        List<Map.Entry<String, List<StreamEntry>>> read = new ArrayList<>();
        for (List<String> some : clusterConnections().byServer(from.keySet())) {
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

    /** Round trips to Redis so far (loads, reads, checks). */
    public long reads() {
        return reads.sum();
    }

    /** Loads of who holds what so far (one per sale followed, and one per stream trimmed past the feed). */
    public long loads() {
        return loads.sum();
    }
}
