package io.ticketrush.orders;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.Keys;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Moves orders from the Redis stream into the order database, off the buy path.
 *
 * <p>It reads as one consumer of a consumer group, writes a batch in one transaction, and only
 * after the commit marks the orders {@code persisted} and acknowledges the entries. A crash
 * anywhere leaves the entries pending: a restarted writer of the same name reads its own
 * pending entries first, and any writer claims entries another has left idle for too long.
 * The database write is idempotent, so an entry written twice is still one row.
 */
public final class OrderWriter implements Runnable {
    private static final Logger LOG = Logger.getLogger(OrderWriter.class.getName());
    public static final String GROUP = "order-writers";

    private final JedisPool pool;
    private final Keys keys;
    private final OrderStore store;
    private final String name;
    private final int batch;
    private final long claimIdleMillis;
    private volatile boolean running = true;
    private long lastClaim;

    public OrderWriter(JedisPool pool, Keys keys, OrderStore store, String name, int batch, long claimIdleMillis) {
        this.pool = pool;
        this.keys = keys;
        this.store = store;
        this.name = name;
        this.batch = batch;
        this.claimIdleMillis = claimIdleMillis;
    }

    @Override
    public void run() {
        boolean failing = false;
        while (running) {
            try {
                step();
                if (failing) {
                    LOG.info("order writer " + name + " works again");
                    failing = false;
                }
            } catch (SQLException | RuntimeException e) { // Redis down, database down, a bad entry
                if (!failing) {
                    LOG.log(Level.WARNING, "order writer " + name + " failed, retrying: " + e.getMessage(), e);
                    failing = true;
                }
                pause(500);
            }
        }
    }

    /** One round: our own pending entries, then entries other writers left idle, then new entries. */
    void step() throws SQLException {
        ensureGroup();
        while (running && write(read(new StreamEntryID(), 0)) > 0) {
            // our own entries delivered before a crash: finish them first
        }
        long now = System.currentTimeMillis();
        if (now - lastClaim >= claimIdleMillis / 2) {
            lastClaim = now;
            while (running && write(claimIdle()) > 0) {
                // a crashed writer's entries
            }
        }
        if (running) {
            write(read(StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY, 500));
        }
    }

    private void ensureGroup() {
        try (Jedis jedis = pool.getResource()) {
            jedis.xgroupCreate(keys.orderStream(), GROUP, new StreamEntryID(), true);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    private List<StreamEntry> read(StreamEntryID from, int blockMillis) {
        XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(batch);
        if (blockMillis > 0) {
            params.block(blockMillis);
        }
        try (Jedis jedis = pool.getResource()) {
            var streams = jedis.xreadGroup(GROUP, name, params, Map.of(keys.orderStream(), from));
            if (streams == null || streams.isEmpty()) {
                return List.of();
            }
            return streams.get(0).getValue();
        }
    }

    private List<StreamEntry> claimIdle() {
        try (Jedis jedis = pool.getResource()) {
            var claimed = jedis.xautoclaim(keys.orderStream(), GROUP, name, claimIdleMillis, new StreamEntryID(),
                    XAutoClaimParams.xAutoClaimParams().count(batch));
            return claimed.getValue();
        }
    }

    /** Writes the entries to the database, then marks them persisted and acknowledges them; how many. */
    private int write(List<StreamEntry> entries) throws SQLException {
        List<OrderEvent> events = new ArrayList<>(entries.size());
        for (StreamEntry entry : entries) {
            if (entry == null || entry.getFields() == null) {
                continue; // deleted from the stream while pending: nothing to write
            }
            events.add(OrderEvent.of(entry.getID().toString(), entry.getFields()));
        }
        if (entries.isEmpty()) {
            return 0;
        }
        if (!events.isEmpty()) {
            store.apply(events);
        }
        ack(events, entries);
        return entries.size();
    }

    private void ack(List<OrderEvent> events, List<StreamEntry> entries) throws SQLException {
        long inDatabase = store.count();
        try (Jedis jedis = pool.getResource()) {
            Pipeline pipeline = jedis.pipelined();
            for (OrderEvent event : events) {
                pipeline.hset(keys.order(String.valueOf(event.orderId())), "persisted", "1");
            }
            pipeline.hset(keys.writerStats(), Map.of("orders", String.valueOf(inDatabase),
                    "lastWrite", String.valueOf(System.currentTimeMillis())));
            List<StreamEntryID> all = new ArrayList<>(entries.size());
            for (StreamEntry entry : entries) {
                if (entry != null) {
                    all.add(entry.getID());
                }
            }
            pipeline.xack(keys.orderStream(), GROUP, all.toArray(StreamEntryID[]::new));
            pipeline.sync();
        }
    }

    /** Asks the loop to stop after the batch in hand. */
    public void stop() {
        running = false;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
