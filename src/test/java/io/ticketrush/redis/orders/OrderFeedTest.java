package io.ticketrush.redis.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
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
import io.ticketrush.sale.Winners;
import io.ticketrush.settings.RedisSettings;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TcpProxy;
import io.ticketrush.support.Terms;
import io.ticketrush.support.TimeScale;
import io.ticketrush.writer.OrderEntries;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * A node's order feed once written events leave the streams: it starts from who holds orders at
 * one moment (never from the stream's past, which may be gone), follows the stream from there,
 * and loads the sale again if the stream was trimmed past where it read (it fell behind).
 */
class OrderFeedTest {
    private static final String KEY = "ticket_hash_key";
    private static final Keys KEYS = Keys.ofDefault(KEY);
    private static final Duration WAIT = TimeScale.of(Duration.ofSeconds(10));

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisServer redis;
    private RedisStore store;
    private GlobalStock stock;
    private OrderStream writer;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp() {
        redis = RedisServer.start();
        redis.initStock(KEY, 1000);
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
        stock = store.stockOf(Terms.of(600_000, 1));
        Map<String, String> settings = new HashMap<>(redis.asWriter(Map.of("rush.writer.name", "w1")));
        writer = RedisOrderStream.open(WriterSettings.from(settings::get), OrderEntries::toDelivery);
        writer.join();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        writer.close();
        store.close();
        redis.close();
    }

    private String buy(String user, String rid, long payWithin) {
        var reservation = stock.reserve(new Buyer(user, rid), 3001, Terms.of(payWithin, 1));
        assertEquals(Outcome.TICKET, reservation.outcome());
        return reservation.orderId();
    }

    /** Every event written and acknowledged, then every one trimmed from the stream. */
    private void writeAndTrimAll() throws InterruptedException {
        List<OrderStream.Delivery> read = writer.next(10_000, 0);
        writer.acknowledge(read, List.of(), read.size());
        Thread.sleep(20); // Redis's clock moves past the last event's millisecond (the keep is 5 ms)
        writer.trim(5);
        try (Jedis jedis = redis.client()) {
            assertEquals(0, jedis.xlen(KEYS.orderStream()), "every event trimmed");
        }
    }

    private RedisOrderFeed feed(int port) {
        Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.redis.port", String.valueOf(port))));
        RedisOrderFeed feed = new RedisOrderFeed(RedisSettings.from(settings::get)).start();
        closing.add(0, feed);
        return feed;
    }

    @Test
    void a_feed_that_starts_after_the_stream_was_trimmed_knows_every_holder_and_request() throws Exception {
        buy("ann", "a1", 600_000);
        buy("bob", null, 600_000);
        buy(null, "anon-1", 600_000);
        buy("cat", "c1", 1); // expires at once: cat holds nothing, but her request stays on record (-4)
        Deadline.await(WAIT, "cat's order to expire", () -> store.orderBook().expireDue(100) == 0
                && stock.snapshot().sold() == 3);
        writeAndTrimAll();

        Winners winners = new Winners();
        RedisOrderFeed feed = feed(redis.port());
        feed.follow(KEYS, winners);
        Deadline.await(WAIT, "the feed to load who holds what", winners::caughtUpOnce);
        assertTrue(winners.mightHold(new Buyer("ann", null)), "ann holds an order");
        assertTrue(winners.mightHold(new Buyer("bob", null)), "bob holds an order");
        assertTrue(winners.mightHold(new Buyer(null, "anon-1")), "an anonymous request that bought");
        assertTrue(winners.mightHold(new Buyer("cat", "c1")), "cat's request, whose order expired, is told so");
        assertFalse(winners.mightHold(new Buyer("cat", null)), "cat holds nothing");
        assertFalse(winners.mightHold(new Buyer("dan", "d1")), "dan never bought");

        buy("dan", "d1", 600_000);
        Deadline.await(WAIT, "the feed to hear of dan's order on the stream", () -> winners.mightHold(
                new Buyer("dan", null)));
        // an idle stream trimmed to its end is not loaded again and again (its newest trimmed event is
        // the last the feed read)
        writeAndTrimAll();
        long reads = feed.reads();
        Deadline.await(WAIT, "the feed to read and check the stream for 2 s", () -> feed.reads() >= reads + 12);
        assertEquals(1, feed.loads(), "loaded once");
    }

    @Test
    void a_reset_sale_forgets_where_its_old_stream_was_trimmed_and_is_loaded_once() throws Exception {
        buy("ann", null, 600_000);
        writeAndTrimAll();
        try (Jedis jedis = redis.client()) {
            assertTrue(jedis.hexists(KEYS.stock(), Keys.EVENTS_TRIMMED), "the old stream was trimmed");
        }
        assertEquals(1, store.admin().reset(io.ticketrush.sale.Sale.DEFAULT, 1000));
        try (Jedis jedis = redis.client()) {
            assertFalse(jedis.hexists(KEYS.stock(), Keys.EVENTS_TRIMMED), "the reset sale has no trimmed stream");
        }
        // a feed of the reset sale, no stream yet: loaded once, not again at each check
        Winners winners = new Winners();
        RedisOrderFeed feed = feed(redis.port());
        feed.follow(KEYS, winners);
        Deadline.await(WAIT, "the feed to load who holds what", winners::caughtUpOnce);
        assertFalse(winners.mightHold(new Buyer("ann", null)), "ann's order went with the reset");
        long reads = feed.reads();
        Deadline.await(WAIT, "the feed to read and check the sale for 2 s", () -> feed.reads() >= reads + 12);
        assertEquals(1, feed.loads(), "loaded once");
    }

    @Test
    void a_feed_that_fell_behind_while_the_stream_was_trimmed_loads_the_sale_again() throws Exception {
        buy("ann", null, 600_000);
        try (TcpProxy proxy = TcpProxy.to(redis.port())) {
            Winners winners = new Winners();
            RedisOrderFeed feed = feed(proxy.port());
            feed.follow(KEYS, winners);
            Deadline.await(WAIT, "the feed to load who holds what", winners::caughtUpOnce);
            assertTrue(winners.mightHold(new Buyer("ann", null)));

            // the feed hears nothing (its connection broken, the answers to its new ones lost) while
            // bob buys, and his event is written and trimmed
            proxy.dropAnswers(true);
            proxy.cutConnections();
            buy("bob", "b1", 600_000);
            writeAndTrimAll();
            proxy.dropAnswers(false);

            Deadline.await(WAIT, "the feed to find the stream trimmed past where it read, and load it again",
                    () -> feed.loads() == 2);
            assertTrue(winners.mightHold(new Buyer("bob", null)), "bob, whose event the feed never read, is known");
            assertTrue(winners.mightHold(new Buyer("bob", "b1")));
            assertTrue(winners.mightHold(new Buyer("ann", null)));
        }
    }
}
