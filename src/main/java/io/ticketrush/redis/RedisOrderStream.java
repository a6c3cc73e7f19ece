package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.ticketrush.Config;
import io.ticketrush.writer.OrderEvent;
import io.ticketrush.writer.OrderStream;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/** The order events stream {@link Keys#orderStream()}, read by the consumer group {@link #GROUP}. */
public final class RedisOrderStream implements OrderStream {
    public static final String GROUP = "order-writers";

    private final JedisPool pool;
    private final Keys keys;
    private final String consumer;

    RedisOrderStream(JedisPool pool, Keys keys, String consumer) {
        this.pool = pool;
        this.keys = keys;
        this.consumer = consumer;
    }

    /** The stream of {@code config}'s sale, read as the consumer {@code rush.writer.name}. */
    public static RedisOrderStream open(Config config) {
        // blocking reads wait up to 500 ms: the socket must wait longer than that
        JedisPool pool = RedisPools.open(config, Math.max(config.redisTimeoutMillis(), 2000));
        return new RedisOrderStream(pool, new Keys(config.stockKey()), config.writerName());
    }

    @Override
    public void join() {
        try (Jedis jedis = pool.getResource()) {
            jedis.xgroupCreate(keys.orderStream(), GROUP, new StreamEntryID(), true);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
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
        try (Jedis jedis = pool.getResource()) {
            var streams = jedis.xreadGroup(GROUP, consumer, params, Map.of(keys.orderStream(), from));
            if (streams == null || streams.isEmpty()) {
                return List.of();
            }
            return deliveries(streams.get(0).getValue());
        }
    }

    @Override
    public List<Delivery> claimIdle(long idleMillis, int max) {
        try (Jedis jedis = pool.getResource()) {
            var claimed = jedis.xautoclaim(keys.orderStream(), GROUP, consumer, idleMillis, new StreamEntryID(),
                    XAutoClaimParams.xAutoClaimParams().count(max));
            return deliveries(claimed.getValue());
        }
    }

    private static List<Delivery> deliveries(List<StreamEntry> entries) {
        List<Delivery> deliveries = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            if (entry == null) {
                continue;
            }
            String id = entry.getID().toString();
            deliveries.add(new Delivery(id, entry.getFields() == null ? null : toEvent(id, entry.getFields())));
        }
        return deliveries;
    }

    /** The one place a stream entry's fields become an event. */
    static OrderEvent toEvent(String streamId, Map<String, String> fields) {
        String user = fields.getOrDefault(Keys.USER, "");
        return new OrderEvent(streamId, fields.get(Keys.EVENT), Long.parseLong(fields.get(Keys.ID)),
                user.isEmpty() ? null : user, Integer.parseInt(fields.getOrDefault(Keys.NODE, "0")),
                Long.parseLong(fields.get(Keys.CREATED)), Long.parseLong(fields.get(Keys.DEADLINE)),
                fields.get(Keys.STATE));
    }

    @Override
    public void acknowledge(List<Delivery> deliveries, long inDatabase) {
        try (Jedis jedis = pool.getResource()) {
            Pipeline pipeline = jedis.pipelined();
            List<StreamEntryID> ids = new ArrayList<>(deliveries.size());
            for (Delivery delivery : deliveries) {
                if (delivery.event() != null) {
                    pipeline.hset(keys.order(String.valueOf(delivery.event().orderId())), Keys.PERSISTED, "1");
                }
                ids.add(new StreamEntryID(delivery.id()));
            }
            pipeline.hset(keys.writerStats(), Map.of(Keys.IN_DATABASE, String.valueOf(inDatabase),
                    Keys.LAST_WRITE, String.valueOf(System.currentTimeMillis())));
            pipeline.xack(keys.orderStream(), GROUP, ids.toArray(StreamEntryID[]::new));
            pipeline.sync();
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
