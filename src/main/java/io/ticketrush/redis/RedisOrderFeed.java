package io.ticketrush.redis;

import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import io.ticketrush.Config;
import io.ticketrush.Duty;
import io.ticketrush.order.Order;
import io.ticketrush.sale.OrderEvents;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Tails the order stream for this node, from its first entry: every order made, expired or
 * voided, told to {@link OrderEvents} a moment after it happened (Redis hands a blocked reader
 * the entry as the script that wrote it ends). One thread and one connection of its own; after
 * a failure it connects again and goes on from the last entry it read.
 */
public final class RedisOrderFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RedisOrderFeed.class.getName());
    /** How long one read waits for news; a closing feed notices within about this. */
    private static final int BLOCK_MILLIS = 1000;
    private static final int BATCH = 1000;

    private final Config config;
    private final Keys keys;
    private final OrderEvents events;
    private final Duty duty = new Duty("reading the order stream", LOG);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Jedis connection;
    private StreamEntryID last = new StreamEntryID();
    private boolean caughtUp;

    public RedisOrderFeed(Config config, OrderEvents events) {
        this.config = config;
        this.keys = new Keys(config.stockKey());
        this.events = events;
        this.thread = new Thread(this::run, "rush-order-feed");
        this.thread.setDaemon(true);
    }

    public RedisOrderFeed start() {
        thread.start();
        return this;
    }

    private void run() {
        while (running) {
            if (!duty.run(this::readAll)) {
                closeConnection();
                pause();
            }
        }
        closeConnection();
    }

    /** Reads until the feed is closed or the connection fails. */
    private void readAll() {
        if (connection == null) {
            connection = RedisPools.connect(config, BLOCK_MILLIS + Math.max(config.redisTimeoutMillis(), 1000));
        }
        while (running) {
            List<Map.Entry<String, List<StreamEntry>>> read;
            try {
                read = connection.xread(XReadParams.xReadParams().count(BATCH).block(BLOCK_MILLIS),
                        Map.of(keys.orderStream(), last));
            } catch (JedisConnectionException e) {
                if (!running) {
                    return; // closed under the read: not a failure
                }
                throw e;
            }
            List<StreamEntry> entries = read == null || read.isEmpty() ? List.of() : read.get(0).getValue();
            for (StreamEntry entry : entries) {
                tell(entry.getFields());
                last = entry.getID();
            }
            if (!caughtUp && entries.size() < BATCH) {
                caughtUp = true;
                events.caughtUp();
            }
        }
    }

    private void tell(Map<String, String> fields) {
        String event = fields.get(Keys.EVENT);
        String id = fields.get(Keys.ID);
        String user = blankToNull(fields.get(Keys.USER));
        String requestId = blankToNull(fields.get(Keys.RID));
        if (Keys.CREATED_EVENT.equals(event)) {
            events.created(id, user, requestId);
        } else if (Order.EXPIRED.equals(event) || Order.VOIDED.equals(event)) {
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

    private void pause() {
        try {
            Thread.sleep(200);
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
    }
}
