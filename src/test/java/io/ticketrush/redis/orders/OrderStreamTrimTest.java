package io.ticketrush.redis.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.Terms;
import io.ticketrush.writer.OrderEntries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * An order event leaves its sale's stream once the writers' group has acknowledged it (every
 * writer of the group: the first entry delivered and not acknowledged stays, and all after it)
 * and it is as old as {@code rush.stream.keep.ms}; never before. The lag stays counted.
 */
class OrderStreamTrimTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = Keys.ofDefault(KEY);
    private static RedisServer redis;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisStore store;
    private GlobalStock stock;
    private final List<OrderStream> writers = new ArrayList<>();

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void setUp() {
        try (Jedis jedis = redis.client()) {
            jedis.flushAll();
        }
        redis.initStock(KEY, 1000);
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
        stock = store.stockOf(Terms.of(600_000, 1));
    }

    @AfterEach
    void tearDown() {
        writers.forEach(OrderStream::close);
        store.close();
    }

    /** A writer of the group, named {@code name}, joined to every sale's stream. */
    private OrderStream writer(String name) {
        Map<String, String> settings = new HashMap<>(redis.asWriter(Map.of("rush.writer.name", name)));
        OrderStream writer = RedisOrderStream.open(WriterSettings.from(settings::get), OrderEntries::toDelivery);
        writers.add(writer);
        writer.join();
        return writer;
    }

    private void buy(int from, int n) {
        for (int i = from; i < from + n; i++) {
            assertEquals(Outcome.TICKET, stock.reserve(new Buyer("user" + i, null), 3001, Terms.of(600_000, 1))
                    .outcome());
        }
    }

    private static List<String> streamIds() {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(KEYS.orderStream(), "-", "+").stream().map(e -> e.getID().toString()).toList();
        }
    }

    private static List<String> idsOf(List<OrderStream.Delivery> deliveries) {
        return deliveries.stream().map(OrderStream.Delivery::id).toList();
    }

    @Test
    void an_event_leaves_the_stream_only_once_every_writer_of_the_group_has_acknowledged_it() {
        buy(0, 30);
        List<String> all = streamIds();
        assertEquals(30, all.size());
        OrderStream one = writer("w1");
        OrderStream two = writer("w2");

        List<OrderStream.Delivery> first = one.next(10, 0);
        assertEquals(all.subList(0, 10), idsOf(first));
        assertEquals(new OrderStream.Backlog(30, 0, 30), one.trim(0), "delivered is not written: nothing goes");
        assertEquals(all, streamIds());

        one.acknowledge(first, List.of(), 10);
        assertEquals(new OrderStream.Backlog(20, 10, 20), one.trim(0), "the 10 written go");
        assertEquals(all.subList(10, 30), streamIds());

        // w2 is handed 5 and has not written them; w1 writes the 5 after them
        List<OrderStream.Delivery> held = two.next(5, 0);
        assertEquals(all.subList(10, 15), idsOf(held));
        List<OrderStream.Delivery> next = one.next(5, 0);
        assertEquals(all.subList(15, 20), idsOf(next));
        one.acknowledge(next, List.of(), 15);
        assertEquals(new OrderStream.Backlog(15, 0, 20), one.trim(0),
                "w2's 5 are not written: they stay, and every event after them");
        assertEquals(all.subList(10, 30), streamIds());

        two.acknowledge(held, List.of(), 20);
        assertEquals(new OrderStream.Backlog(10, 10, 10), two.trim(0), "every writer of the group counts");
        assertEquals(all.subList(20, 30), streamIds());
        try (Jedis jedis = redis.client()) {
            assertEquals("10", jedis.hget(Keys.writerStats(), Keys.LAG), "the lag is recorded for the nodes");
            assertEquals(all.get(19), jedis.hget(KEYS.stock(), Keys.EVENTS_TRIMMED),
                    "the stock hash names the newest event trimmed");
        }
    }

    @Test
    void a_written_event_stays_until_it_is_as_old_as_the_keep() throws Exception {
        buy(0, 12);
        OrderStream one = writer("w1");
        List<OrderStream.Delivery> read = one.next(100, 0);
        assertEquals(12, read.size());
        one.acknowledge(read, List.of(), 12);
        assertEquals(new OrderStream.Backlog(0, 0, 12), one.trim(60_000), "written a moment ago: kept a minute");
        Thread.sleep(50); // Redis's clock moves past the events' own milliseconds (the keep is 20 ms)
        assertEquals(new OrderStream.Backlog(0, 12, 0), one.trim(20), "older than the keep: gone");
        assertEquals(List.of(), streamIds());
        try (Jedis jedis = redis.client()) {
            assertEquals("0", jedis.hget(Keys.writerStats(), Keys.LAG));
        }
    }

    @Test
    void a_stream_no_writer_has_joined_is_left_whole_and_counted_as_unwritten() {
        buy(0, 7);
        OrderStream one = writer("w1");
        try (Jedis jedis = redis.client()) {
            // the group as a writer of another deployment would see it: gone, nothing read
            jedis.xgroupDestroy(KEYS.orderStream(), RedisOrderStream.GROUP);
        }
        assertEquals(new OrderStream.Backlog(7, 0, 7), one.trim(0));
        assertEquals(7, streamIds().size());
    }

    /** The stream entries' fields, for a failure's message. */
    static List<Map<String, String>> fields() {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(KEYS.orderStream(), "-", "+").stream().map(StreamEntry::getFields).toList();
        }
    }
}
