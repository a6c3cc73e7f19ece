package io.ticketrush.redis.orders;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.connect.RedisConnections;
import io.ticketrush.redis.connect.RedisPools;
import io.ticketrush.redis.connect.ReplicaWaits;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.WriterSettings;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The order events stream {@link Keys#orderStream()}, read by the consumer group {@link #GROUP};
 * entries the writer sets aside go to {@link Keys#orderDeadLetters()}.
 */
public final class RedisOrderStream implements OrderStream {
    public static final String GROUP = "order-writers";

    /** How long a writer with nothing to read waits before it asks a cluster's masters again. */
    private static final int POLL_MILLIS = 20;

    private final RedisConnections connections;
    private final String stockKey;
    private final ReplicaWaits waits;
    private final String consumer;
    private final Reader reader;
    /** The sales' streams joined, by stream key: sale id; joined again whenever the sales' version moves. */
    private final Map<String, String> streams = new LinkedHashMap<>();
    private long version = -1;

    RedisOrderStream(RedisConnections connections, WriterSettings settings, Reader reader) {
        this.connections = connections;
        this.stockKey = settings.stockKey();
        this.reader = reader;
        this.waits = ReplicaWaits.of(settings.redis().replication());
        this.consumer = settings.name();
    }

    /**
     * The streams of every sale in the writer's Redis, read as the consumer {@code rush.writer.name},
     * each entry made a delivery by {@code reader} (the writer's rules).
     */
    public static RedisOrderStream open(WriterSettings settings, Reader reader) {
        // blocking reads wait up to 500 ms: the socket must wait longer than that
        return new RedisOrderStream(RedisPools.connections(settings.redis(),
                Math.max(settings.redis().timeoutMillis(), 2000)), settings, reader);
    }

    /** Learns the sales created since (a cheap check of the sales' version first) and joins their streams. */
    @Override
    public void join() {
        guarded(() -> {
            joinNow();
            return null;
        });
    }

    private void joinNow() {
        List<String> sales = new ArrayList<>();
        long current;
        try (Jedis jedis = connections.borrow(Keys.salesVersion())) {
            String now = jedis.get(Keys.salesVersion());
            current = now == null ? 0 : Long.parseLong(now);
            if (current == version && !streams.isEmpty()) {
                return;
            }
            sales.add(Sale.DEFAULT);
            sales.addAll(new TreeSet<>(jedis.smembers(Keys.sales())));
        }
        // every stream, not only new ones: a reset sale's stream was dropped with its group; and
        // only the sales there are
        streams.clear();
        for (String sale : sales) {
            Keys keys = Keys.of(sale, stockKey);
            String stream = keys.orderStream();
            long joined;
            try (Jedis jedis = connections.borrow(stream)) {
                // a sale archived since the list was read is left gone (its stream is not made again)
                joined = LuaScripts.JOIN_GROUP.run(jedis, List.of(keys.stock(), stream),
                        List.of(GROUP, Sale.DEFAULT.equals(sale) ? "1" : "0"));
            }
            if (joined >= 0) {
                streams.put(stream, sale);
            }
        }
        version = current;
    }

    @Override
    public List<Delivery> ownPending(int max) {
        return read(new StreamEntryID(), max, 0);
    }

    @Override
    public List<Delivery> next(int max, int blockMillis) {
        return read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY, max, blockMillis);
    }

    private List<Delivery> read(StreamEntryID from, int max, int blockMillis) {
        return guarded(() -> readNow(from, max, blockMillis));
    }

    private List<Delivery> readNow(StreamEntryID from, int max, int blockMillis) {
        if (connections.cluster()) {
            return readEachServer(from, max, blockMillis);
        }
        XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(max);
        if (blockMillis > 0) {
            params.block(blockMillis);
        }
        Map<String, StreamEntryID> each = new LinkedHashMap<>();
        streams.keySet().forEach(stream -> each.put(stream, from));
        try (Jedis jedis = connections.borrow(Keys.salesVersion())) {
            List<Map.Entry<String, List<StreamEntry>>> read;
            try {
                read = jedis.xreadGroup(GROUP, consumer, params, each);
            } catch (JedisDataException e) {
                if (!streamGone(e)) {
                    throw e;
                }
                // a stream read was deleted (its sale was archived: docs/archive.md) while the read
                // waited, or before it (the command then read no stream): the next round reads the
                // sales again
                version = -1;
                return List.of();
            }
            List<Delivery> deliveries = new ArrayList<>();
            if (read != null) {
                for (Map.Entry<String, List<StreamEntry>> stream : read) {
                    deliveries.addAll(deliveries(streams.get(stream.getKey()), stream.getValue()));
                }
            }
            awaitReplica(jedis, Keys.writerStats(), deliveries);
            return deliveries;
        }
    }

    /**
     * In a Redis Cluster one XREADGROUP cannot name streams of different slots, and a blocked read
     * hears of one server only: each server's streams are read in one pipelined round trip, without
     * blocking, and a read that found nothing anywhere waits {@link #POLL_MILLIS} (at most
     * {@code blockMillis}) before the writer asks again. The wait for a replica is made on each
     * server that gave entries, on the connection that read them.
     */
    private List<Delivery> readEachServer(StreamEntryID from, int max, int blockMillis) {
        List<Delivery> deliveries = new ArrayList<>();
        JedisException failure = null;
        for (List<String> some : connections.byServer(streams.keySet())) {
            if (deliveries.size() >= max) {
                break;
            }
            // a server that fails must not lose what the others handed over (delivered entries
            // are read again only as pending ones): it is thrown only if nobody gave anything
            try (Jedis jedis = connections.borrow(some.get(0))) {
                Pipeline pipeline = jedis.pipelined();
                List<Response<List<Map.Entry<String, List<StreamEntry>>>>> reads = new ArrayList<>(some.size());
                for (String stream : some) {
                    reads.add(pipeline.xreadGroup(GROUP, consumer, XReadGroupParams.xReadGroupParams().count(max),
                            Map.of(stream, from)));
                }
                pipeline.sync();
                List<Delivery> fromServer = new ArrayList<>();
                String written = null;
                for (int i = 0; i < some.size(); i++) {
                    List<Map.Entry<String, List<StreamEntry>>> read;
                    try {
                        read = reads.get(i).get();
                    } catch (JedisDataException e) {
                        if (!streamGone(e)) {
                            throw e;
                        }
                        // its sale was archived since the sales were read: the other streams of
                        // this server are read all the same, and the next round reads the sales again
                        version = -1;
                        continue;
                    }
                    if (read != null) {
                        for (Map.Entry<String, List<StreamEntry>> stream : read) {
                            fromServer.addAll(deliveries(streams.get(stream.getKey()), stream.getValue()));
                            written = readMark(streams.get(stream.getKey()));
                        }
                    }
                }
                if (!fromServer.isEmpty()) {
                    awaitReplica(jedis, written, fromServer);
                    deliveries.addAll(fromServer);
                }
            } catch (JedisException e) {
                connections.afterFailure(e);
                failure = failure == null ? e : failure;
            }
        }
        if (deliveries.isEmpty() && failure != null) {
            throw failure;
        }
        if (deliveries.isEmpty() && blockMillis > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(blockMillis, POLL_MILLIS)));
        }
        return deliveries;
    }

    /** A read's stream (or its group) deleted: its sale archived since the writer read the sales. */
    private static boolean streamGone(JedisDataException e) {
        String message = e.getMessage();
        return message != null && (message.startsWith("UNBLOCKED") || message.startsWith("NOGROUP"));
    }

    /** Where a read writes its mark before it waits: the writer's counters, or in a cluster the sale's stock hash (its server's). */
    private String readMark(String sale) {
        return connections.cluster() ? Keys.of(sale, stockKey).stock() : Keys.writerStats();
    }

    /**
     * With replicas, an event goes to the database only once a replica has it: an order a failover
     * loses (its buyers were told 503) would otherwise be a row whose id the new primary hands out
     * again. The read may have written nothing (entries read again), so this writes when it read,
     * and WAIT then covers every entry read. Failing, the entries stay pending and are read again.
     */
    private void awaitReplica(Jedis jedis, String hash, List<Delivery> deliveries) {
        if (deliveries.isEmpty() || !waits.waiting()) {
            return;
        }
        jedis.hset(hash, Keys.LAST_READ, String.valueOf(System.currentTimeMillis()));
        if (!waits.reached(jedis)) {
            throw new IllegalStateException(deliveries.size() + " order events were read but no replica had them"
                    + " within " + waits.timeoutMillis() + " ms: they wait to be written until one has");
        }
    }

    @Override
    public Backlog trim(long keepMillis) {
        return guarded(() -> trimNow(keepMillis));
    }

    private Backlog trimNow(long keepMillis) {
        long unwritten = 0;
        long trimmed = 0;
        long left = 0;
        List<String> args = List.of(GROUP, String.valueOf(keepMillis));
        for (Map.Entry<String, String> stream : streams.entrySet()) {
            Keys keys = Keys.of(stream.getValue(), stockKey);
            try (Jedis jedis = connections.borrow(stream.getKey())) {
                LuaScripts.Trimmed t = LuaScripts.TRIM_EVENTS.run(jedis, List.of(keys.stock(), keys.orderStream()), args);
                unwritten += t.unwritten();
                trimmed += t.trimmed();
                left += t.left();
            }
        }
        try (Jedis jedis = connections.borrow(Keys.writerStats())) {
            jedis.hset(Keys.writerStats(), Map.of(Keys.LAG, String.valueOf(unwritten), Keys.LAG_AT,
                    String.valueOf(System.currentTimeMillis())));
        }
        return new Backlog(unwritten, trimmed, left);
    }

    @Override
    public List<Delivery> claimIdle(long idleMillis, int max) {
        return guarded(() -> claimIdleNow(idleMillis, max));
    }

    private List<Delivery> claimIdleNow(long idleMillis, int max) {
        List<Delivery> deliveries = new ArrayList<>();
        for (Map.Entry<String, String> stream : streams.entrySet()) {
            try (Jedis jedis = connections.borrow(stream.getKey())) {
                var claimed = jedis.xautoclaim(stream.getKey(), GROUP, consumer, idleMillis, new StreamEntryID(),
                        XAutoClaimParams.xAutoClaimParams().count(max));
                List<Delivery> some = deliveries(stream.getValue(), claimed.getValue());
                awaitReplica(jedis, readMark(stream.getValue()), some);
                deliveries.addAll(some);
            }
        }
        return deliveries;
    }

    private List<Delivery> deliveries(String sale, List<StreamEntry> entries) {
        List<Delivery> deliveries = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            if (entry != null) {
                deliveries.add(reader.read(sale, entry.getID().toString(), entry.getFields()));
            }
        }
        return deliveries;
    }

    /**
     * One MULTI, so that a crash, of the writer or of Redis, leaves either all of it or none: a
     * dead letter is then kept and counted exactly once, and an entry is acknowledged only with it.
     * In a Redis Cluster a MULTI stays in one slot: one per sale, which keeps that sale's dead
     * letters in its own stream ({@link Keys#deadLetters()}), and then the writer's counters.
     */
    @Override
    public void acknowledge(List<Delivery> deliveries, List<DeadLetter> deadLetters, long inDatabase) {
        guarded(() -> {
            acknowledgeNow(deliveries, deadLetters, inDatabase);
            return null;
        });
    }

    private void acknowledgeNow(List<Delivery> deliveries, List<DeadLetter> deadLetters, long inDatabase) {
        if (connections.cluster()) {
            acknowledgeEachSale(deliveries, deadLetters, inDatabase);
            return;
        }
        try (Jedis jedis = connections.borrow(Keys.writerStats()); Transaction multi = jedis.multi()) {
            acknowledge(multi, deliveries, deadLetters, Keys.orderDeadLetters());
            if (!deadLetters.isEmpty()) {
                multi.hincrBy(Keys.writerStats(), Keys.DEAD_LETTERS, deadLetters.size());
            }
            countWritten(multi, inDatabase);
            exec(multi);
        }
    }

    private void acknowledgeEachSale(List<Delivery> deliveries, List<DeadLetter> deadLetters, long inDatabase) {
        Map<String, List<Delivery>> bySale = new LinkedHashMap<>();
        deliveries.forEach(d -> bySale.computeIfAbsent(d.sale(), sale -> new ArrayList<>()).add(d));
        for (Map.Entry<String, List<Delivery>> sale : bySale.entrySet()) {
            Keys keys = Keys.of(sale.getKey(), stockKey);
            List<DeadLetter> its = deadLetters.stream().filter(dead -> dead.delivery().sale().equals(sale.getKey()))
                    .toList();
            try (Jedis jedis = connections.borrow(keys.stock()); Transaction multi = jedis.multi()) {
                acknowledge(multi, sale.getValue(), its, keys.deadLetters());
                if (!its.isEmpty()) {
                    multi.hincrBy(keys.stock(), Keys.DEAD_LETTERS, its.size());
                }
                exec(multi);
            }
        }
        try (Jedis jedis = connections.borrow(Keys.writerStats()); Transaction multi = jedis.multi()) {
            if (!deadLetters.isEmpty()) {
                multi.hincrBy(Keys.writerStats(), Keys.DEAD_LETTERS, deadLetters.size());
            }
            countWritten(multi, inDatabase);
            exec(multi);
        }
    }

    /** Marks the orders written, keeps the dead letters in {@code deadLetterStream}, acknowledges the entries. */
    private void acknowledge(Transaction multi, List<Delivery> deliveries, List<DeadLetter> deadLetters,
            String deadLetterStream) {
        Set<String> setAside = new HashSet<>();
        deadLetters.forEach(dead -> setAside.add(dead.delivery().id()));
        Map<String, List<StreamEntryID>> ids = new LinkedHashMap<>();
        for (Delivery delivery : deliveries) {
            Keys keys = Keys.of(delivery.sale(), stockKey);
            if (delivery.event() != null && !setAside.contains(delivery.id())) {
                multi.sadd(keys.persisted(), String.valueOf(delivery.event().orderId()));
            }
            ids.computeIfAbsent(keys.orderStream(), stream -> new ArrayList<>()).add(new StreamEntryID(delivery.id()));
        }
        for (DeadLetter dead : deadLetters) {
            Map<String, String> fields = new LinkedHashMap<>(dead.delivery().fields());
            fields.put(Keys.REASON, dead.reason());
            fields.put(Keys.STREAM_ID, dead.delivery().id());
            fields.put(Keys.SALE, dead.delivery().sale());
            multi.xadd(deadLetterStream, XAddParams.xAddParams(), fields);
        }
        ids.forEach((stream, some) -> multi.xack(stream, GROUP, some.toArray(StreamEntryID[]::new)));
    }

    private static void countWritten(Transaction multi, long inDatabase) {
        multi.hset(Keys.writerStats(), Map.of(Keys.IN_DATABASE, String.valueOf(inDatabase),
                Keys.LAST_WRITE, String.valueOf(System.currentTimeMillis())));
    }

    private static void exec(Transaction multi) {
        for (Object reply : multi.exec()) {
            if (reply instanceof JedisDataException error) {
                throw error; // the others ran (Redis has no rollback): said, and the batch is tried again
            }
        }
    }

    /** Runs {@code step}; a Redis failure renews what the connections know (a failover) and is thrown on. */
    private <T> T guarded(Supplier<T> step) {
        try {
            return step.get();
        } catch (JedisException e) {
            connections.afterFailure(e);
            throw e;
        }
    }

    @Override
    public void close() {
        connections.close();
    }
}
