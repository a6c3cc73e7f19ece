package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.ticketrush.Config;
import io.ticketrush.order.Order;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Sale;
import io.ticketrush.writer.OrderEvent;
import io.ticketrush.writer.OrderStream;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.util.Pool;

/**
 * The order events stream {@link Keys#orderStream()}, read by the consumer group {@link #GROUP};
 * entries the writer sets aside go to {@link Keys#orderDeadLetters()}.
 */
public final class RedisOrderStream implements OrderStream {
    public static final String GROUP = "order-writers";

    private final Pool<Jedis> pool;
    private final Config config;
    private final ReplicaWaits waits;
    private final String consumer;
    /** The sales' streams joined, by stream key: sale id; joined again whenever the sales' version moves. */
    private final Map<String, String> streams = new LinkedHashMap<>();
    private long version = -1;

    RedisOrderStream(Pool<Jedis> pool, Config config) {
        this.pool = pool;
        this.config = config;
        this.waits = ReplicaWaits.of(config);
        this.consumer = config.writerName();
    }

    /** The streams of every sale in {@code config}'s Redis, read as the consumer {@code rush.writer.name}. */
    public static RedisOrderStream open(Config config) {
        // blocking reads wait up to 500 ms: the socket must wait longer than that
        Pool<Jedis> pool = RedisPools.open(config, Math.max(config.redisTimeoutMillis(), 2000));
        return new RedisOrderStream(pool, config);
    }

    /** Learns the sales created since (a cheap check of the sales' version first) and joins their streams. */
    @Override
    public void join() {
        try (Jedis jedis = pool.getResource()) {
            String now = jedis.get(Keys.salesVersion());
            long current = now == null ? 0 : Long.parseLong(now);
            if (current == version && !streams.isEmpty()) {
                return;
            }
            List<String> sales = new ArrayList<>();
            sales.add(Sale.DEFAULT);
            sales.addAll(new TreeSet<>(jedis.smembers(Keys.sales())));
            // every stream, not only new ones: a reset sale's stream was dropped with its group
            for (String sale : sales) {
                String stream = Keys.of(sale, config.stockKey()).orderStream();
                try {
                    jedis.xgroupCreate(stream, GROUP, new StreamEntryID(), true);
                } catch (JedisDataException e) {
                    if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                        throw e;
                    }
                }
                streams.put(stream, sale);
            }
            version = current;
        }
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
        XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(max);
        if (blockMillis > 0) {
            params.block(blockMillis);
        }
        Map<String, StreamEntryID> each = new LinkedHashMap<>();
        streams.keySet().forEach(stream -> each.put(stream, from));
        try (Jedis jedis = pool.getResource()) {
            var read = jedis.xreadGroup(GROUP, consumer, params, each);
            List<Delivery> deliveries = new ArrayList<>();
            if (read != null) {
                for (Map.Entry<String, List<StreamEntry>> stream : read) {
                    deliveries.addAll(deliveries(streams.get(stream.getKey()), stream.getValue()));
                }
            }
            awaitReplica(jedis, deliveries);
            return deliveries;
        }
    }

    /**
     * With replicas, an event goes to the database only once a replica has it: an order a failover
     * loses (its buyers were told 503) would otherwise be a row whose id the new primary hands out
     * again. The read may have written nothing (entries read again), so this writes when it read,
     * and WAIT then covers every entry read. Failing, the entries stay pending and are read again.
     */
    private void awaitReplica(Jedis jedis, List<Delivery> deliveries) {
        if (deliveries.isEmpty() || !waits.waiting()) {
            return;
        }
        jedis.hset(Keys.writerStats(), Keys.LAST_READ, String.valueOf(System.currentTimeMillis()));
        if (!waits.reached(jedis)) {
            throw new IllegalStateException(deliveries.size() + " order events were read but no replica had them"
                    + " within " + waits.timeoutMillis() + " ms: they wait to be written until one has");
        }
    }

    @Override
    public List<Delivery> claimIdle(long idleMillis, int max) {
        List<Delivery> deliveries = new ArrayList<>();
        try (Jedis jedis = pool.getResource()) {
            for (Map.Entry<String, String> stream : streams.entrySet()) {
                var claimed = jedis.xautoclaim(stream.getKey(), GROUP, consumer, idleMillis, new StreamEntryID(),
                        XAutoClaimParams.xAutoClaimParams().count(max));
                deliveries.addAll(deliveries(stream.getValue(), claimed.getValue()));
            }
            awaitReplica(jedis, deliveries);
        }
        return deliveries;
    }

    private static List<Delivery> deliveries(String sale, List<StreamEntry> entries) {
        List<Delivery> deliveries = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            if (entry != null) {
                deliveries.add(toDelivery(sale, entry.getID().toString(), entry.getFields()));
            }
        }
        return deliveries;
    }

    /**
     * The one place a stream entry's fields become an event. Fields that make no event the
     * database can take are a delivery that says what is wrong, not an exception: one bad entry
     * must not stop the entries after it.
     */
    static Delivery toDelivery(String sale, String streamId, Map<String, String> fields) {
        if (fields == null) {
            return new Delivery(sale, streamId, null, null, null);
        }
        try {
            return new Delivery(sale, streamId, fields, toEvent(sale, streamId, fields), null);
        } catch (MalformedEntry e) {
            return new Delivery(sale, streamId, fields, null, e.getMessage());
        }
    }

    private static OrderEvent toEvent(String sale, String streamId, Map<String, String> fields)
            throws MalformedEntry {
        String event = oneOf(fields, Keys.EVENT, EVENTS);
        long id = number(fields, Keys.ID);
        if (id <= 0) {
            throw new MalformedEntry(Keys.ID + " " + id + " is not an order number");
        }
        String user = fields.getOrDefault(Keys.USER, "");
        if (!user.isEmpty() && !Buyer.ID.matcher(user).matches()) {
            throw new MalformedEntry(Keys.USER + " '" + shown(user) + "' is not a user id");
        }
        long node = fields.containsKey(Keys.NODE) ? number(fields, Keys.NODE) : 0;
        if (node < 0 || node > Integer.MAX_VALUE) {
            throw new MalformedEntry(Keys.NODE + " " + node + " is not a port");
        }
        return new OrderEvent(streamId, sale, event, id, user.isEmpty() ? null : user, (int) node,
                number(fields, Keys.CREATED), number(fields, Keys.DEADLINE), oneOf(fields, Keys.STATE, STATES));
    }

    /** Event names the scripts write (a closing event is named after its state), and order states. */
    private static final Set<String> EVENTS = Set.of(Keys.CREATED_EVENT, Order.PAID, Order.EXPIRED, Order.VOIDED);
    private static final Set<String> STATES = Set.of(Order.PENDING, Order.PAID, Order.EXPIRED, Order.VOIDED);

    private static String required(Map<String, String> fields, String name) throws MalformedEntry {
        String value = fields.get(name);
        if (value == null) {
            throw new MalformedEntry(name + " is missing");
        }
        return value;
    }

    private static long number(Map<String, String> fields, String name) throws MalformedEntry {
        String value = required(fields, name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new MalformedEntry(name + " '" + shown(value) + "' is not a number");
        }
    }

    private static String oneOf(Map<String, String> fields, String name, Set<String> allowed) throws MalformedEntry {
        String value = required(fields, name);
        if (!allowed.contains(value)) {
            throw new MalformedEntry(name + " '" + shown(value) + "' is none of " + new TreeSet<>(allowed));
        }
        return value;
    }

    /** A value as a reason quotes it: a stray megabyte is not repeated whole. */
    private static String shown(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }

    /** What is wrong with an entry's fields; turned into a {@link Delivery} in {@link #toDelivery}. */
    private static final class MalformedEntry extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedEntry(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * One MULTI, so that a crash, of the writer or of Redis, leaves either all of it or none: a
     * dead letter is then kept and counted exactly once, and an entry is acknowledged only with it.
     */
    @Override
    public void acknowledge(List<Delivery> deliveries, List<DeadLetter> deadLetters, long inDatabase) {
        Set<String> setAside = new HashSet<>();
        deadLetters.forEach(dead -> setAside.add(dead.delivery().id()));
        try (Jedis jedis = pool.getResource(); Transaction multi = jedis.multi()) {
            Map<String, List<StreamEntryID>> ids = new LinkedHashMap<>();
            for (Delivery delivery : deliveries) {
                Keys keys = Keys.of(delivery.sale(), config.stockKey());
                if (delivery.event() != null && !setAside.contains(delivery.id())) {
                    multi.sadd(keys.persisted(), String.valueOf(delivery.event().orderId()));
                }
                ids.computeIfAbsent(keys.orderStream(), stream -> new ArrayList<>()).add(
                        new StreamEntryID(delivery.id()));
            }
            for (DeadLetter dead : deadLetters) {
                Map<String, String> fields = new LinkedHashMap<>(dead.delivery().fields());
                fields.put(Keys.REASON, dead.reason());
                fields.put(Keys.STREAM_ID, dead.delivery().id());
                fields.put(Keys.SALE, dead.delivery().sale());
                multi.xadd(Keys.orderDeadLetters(), XAddParams.xAddParams(), fields);
            }
            if (!deadLetters.isEmpty()) {
                multi.hincrBy(Keys.writerStats(), Keys.DEAD_LETTERS, deadLetters.size());
            }
            multi.hset(Keys.writerStats(), Map.of(Keys.IN_DATABASE, String.valueOf(inDatabase),
                    Keys.LAST_WRITE, String.valueOf(System.currentTimeMillis())));
            ids.forEach((stream, some) -> multi.xack(stream, GROUP, some.toArray(StreamEntryID[]::new)));
            for (Object reply : multi.exec()) {
                if (reply instanceof JedisDataException error) {
                    throw error; // the others ran (Redis has no rollback): said, and the batch is tried again
                }
            }
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
