package io.ticketrush.redis.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.BuyReply;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TcpProxy;
import io.ticketrush.support.Terms;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.resps.StreamEntry;

/** The Lua step against a real redis-server. */
class RedisGlobalStockTest {
    private static final String KEY = "ticket_hash_key";
    /** A node's Redis timeout no call whose answer comes runs out of, however loaded the machine. */
    private static final int UNHURRIED_MS = 5000;
    private static RedisServer redis;
    private RedisStore store;
    private GlobalStock stock;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always");
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        redis.restart();
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of(
                "rush.breaker.failures", "1000"))::get));
        stock = store.stockOf(Terms.of(60_000, 1));
    }

    @AfterEach
    void disconnect() {
        store.close();
    }

    private Outcome take() {
        return stock.reserve(Buyer.ANONYMOUS, 3001, Terms.of(60_000, 1)).outcome();
    }

    @Test
    void one_call_for_several_buyers_answers_each_as_if_it_came_alone() {
        redis.initStock(KEY, 3);
        List<Reservation> answers = stock.reserveAll(List.of(
                new GlobalStock.Request(new Buyer("alice", null), 3001),
                new GlobalStock.Request(new Buyer("bob", null), 3002),
                new GlobalStock.Request(new Buyer("alice", null), 3001),
                new GlobalStock.Request(new Buyer(null, "nginx-1"), 3003),
                new GlobalStock.Request(new Buyer(null, "nginx-1"), 3004),
                new GlobalStock.Request(new Buyer("carol", null), 3001),
                new GlobalStock.Request(new Buyer("bob", null), 3002)), Terms.of(60_000, 1));
        assertEquals(List.of(Outcome.TICKET, Outcome.TICKET, Outcome.EXISTING,
                Outcome.TICKET, Outcome.EXISTING, Outcome.SOLD_OUT,
                Outcome.EXISTING), answers.stream().map(Reservation::outcome).toList());
        String first = answers.get(0).orderId();
        String second = answers.get(1).orderId();
        String third = answers.get(3).orderId();
        assertEquals(List.of(first, second, first, third, third), answers.stream().limit(5).map(Reservation::orderId)
                .toList(), "a repeat, in the same call, gets the order made for it earlier in the call");
        assertEquals(List.of(Long.parseLong(first) + 1, Long.parseLong(first) + 2),
                List.of(Long.parseLong(second), Long.parseLong(third)), "the sale numbers its orders one by one");
        assertEquals(second, answers.get(6).orderId(), "a buyer who holds an order hears of it even when sold out");
        assertEquals(3, redis.sold(KEY));
        try (Jedis jedis = redis.client()) {
            Keys keys = Keys.ofDefault(KEY);
            assertEquals("3", jedis.hget(keys.stock(), Keys.SEQ));
            assertEquals(3, jedis.xlen(keys.orderStream()), "one created event per new order");
            OrderBook orders = store.orderBook();
            assertEquals(3003, orders.find(third).orElseThrow().node(), "each order records its own buyer's node");
            assertEquals(answers.get(0).deadline(), orders.find(first).orElseThrow().deadline());
        }
    }

    /**
     * Ids restarted at 1 with every reset before, so a later sale reused the ids of orders already
     * in the database. Now each sale (and each reset of it) numbers from a base never handed out
     * before, taken from Redis's clock: also after Redis lost everything, and also for a sale made
     * by the article's bare HMSET.
     */
    @Test
    void order_ids_are_never_used_twice_across_resets_a_lost_redis_and_a_bare_hmset() {
        Set<String> ids = new HashSet<>();
        redis.initStock(KEY, 3);
        sellAll(3, ids);
        redis.initStock(KEY, 3); // ./rush reset
        sellAll(3, ids);
        long lastBase;
        try (Jedis jedis = redis.client()) {
            lastBase = Long.parseLong(jedis.get(Keys.idBases()));
        }
        // A Redis that lost every key still hands out later bases, as its clock moved on: the
        // guarantee holds once the clock has passed the last base (bases come from hundredths of
        // a second, so unless sales were created faster than 100 a second, it has long passed).
        Deadline.await(Duration.ofSeconds(5), "Redis's clock to pass the last id base " + lastBase, () -> {
            try (Jedis jedis = redis.client()) {
                List<String> time = jedis.time();
                return Long.parseLong(time.get(0)) * 100 + Long.parseLong(time.get(1)) / 10_000 > lastBase;
            }
        });
        try (Jedis jedis = redis.client()) {
            jedis.flushAll();
            jedis.hset(KEY, Map.of(Keys.TOTAL, "3", Keys.SOLD, "0")); // the article's HMSET
        }
        sellAll(3, ids);
        assertEquals(9, ids.size(), () -> "nine orders, nine ids: " + ids);
    }

    private void sellAll(int n, Set<String> ids) {
        for (int i = 0; i < n; i++) {
            Reservation r = stock.reserve(Buyer.ANONYMOUS, 3001, Terms.of(60_000, 1));
            assertEquals(Outcome.TICKET, r.outcome());
            assertTrue(ids.add(r.orderId()), () -> "order id " + r.orderId() + " used twice: " + ids);
        }
        assertEquals(Outcome.SOLD_OUT, take());
    }

    /**
     * Puts the buy script in Redis's script cache, by a buy past its deadline: it sells nothing
     * (Redis answers "too late" before it reads the stock).
     */
    private static void loadBuyScript(Keys keys) {
        try (Jedis jedis = redis.client()) {
            LuaScripts.BUY.run(jedis, keys.forScripts(), List.of("60000", "1", "1", "1", "", "warm-up"));
        }
    }

    /** A node that waits {@code timeoutMillis} for Redis, reaching it on {@code port}. */
    /** {@code node}'s stock of the default sale, its clock read and the buy script loaded (so a lost answer is the buy's own). */
    private static GlobalStock readyStock(RedisStore node, Keys keys) {
        GlobalStock stock = node.stockOf(Terms.of(60_000, 1));
        stock.snapshot();
        loadBuyScript(keys);
        return stock;
    }

    /** The events of the sale's order stream, in order. */
    private static List<String> events(Keys keys) {
        try (Jedis jedis = redis.client()) {
            return jedis.xrange(keys.orderStream(), (StreamEntryID) null, null).stream()
                    .map(e -> e.getFields().get(Keys.EVENT)).toList();
        }
    }

    private static RedisStore node(int port, int timeoutMillis) {
        return RedisStore.open(StoreSettings.from(redis.asNode(Map.of("rush.redis.port", String.valueOf(port),
                "rush.redis.timeout.ms", String.valueOf(timeoutMillis), "rush.breaker.failures", "1000"))::get));
    }

    /**
     * Redis stalled behind a busy script: the node gives up on its buy after 300 ms and answers
     * 503. Before, the buy ran when the stall ended and sold a ticket to nobody; now the call
     * carries a deadline on Redis's clock and does nothing once it is past.
     */
    @Test
    void a_buy_redis_starts_after_the_node_gave_up_on_it_sells_nothing() throws Exception {
        redis.initStock(KEY, 10);
        Keys keys = Keys.ofDefault(KEY);
        ExecutorService stall = Executors.newSingleThreadExecutor();
        try (RedisStore node = node(redis.port(), 300)) {
            GlobalStock stock = node.stockOf(Terms.of(60_000, 1));
            stock.snapshot(); // the node has read Redis's clock, as its stock sync does every second
            Future<Object> busy = stall.submit(() -> {
                try (Jedis jedis = redis.client()) {
                    return jedis.eval(BUSY_FOR_MS, 0, "1500");
                }
            });
            awaitRedisBusy();
            assertThrows(StockUnavailableException.class,
                    () -> stock.reserve(new Buyer(null, "stalled-1"), 3001, Terms.of(60_000, 1)));
            busy.get(10, TimeUnit.SECONDS); // the stall is over: the buy has been run by now or never will
            try (Jedis jedis = redis.client()) {
                assertEquals(0, redis.sold(KEY), "the buy answered 503 sold nothing");
                assertEquals(0, jedis.exists(keys.orderStream()) ? jedis.xlen(keys.orderStream()) : 0,
                        "no order was created at all (its deadline stopped it, not a later void)");
            }
            // the node's duty, whose 300 ms a loaded machine may outlast once (a fresh Redis fsyncs each write)
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the node voids the call it gave up on", () -> {
                try {
                    node.settleUncertainBuys();
                    return node.buyCallsToVoid() == 0;
                } catch (StockUnavailableException e) {
                    return false;
                }
            });
            assertEquals(Outcome.TICKET, stock.reserve(new Buyer(null, "after-1"), 3001, Terms.of(60_000, 1)).outcome());
            assertEquals(1, redis.sold(KEY));
        } finally {
            stall.shutdownNow();
        }
    }

    /**
     * The buy ran but its answer was lost on the way back (the network failed after the request
     * went out): the buyer was told 503, so the node voids the call once Redis answers again. The
     * ticket goes back, the order is voided, and the same request may buy again.
     *
     * <p>The link breaks as the buy's answer comes (the answer lost, the connection closed): the
     * buy has run, and the node hears of the failure at once. Before, the link dropped answers and
     * the node gave up at its read timeout, 300 ms, the same for every call of the test: on a
     * loaded machine the buy again timed out (a fresh-clone run). The buy script is in Redis's
     * script cache first, so that the answer lost is the buy's own, not a NOSCRIPT error before it
     * ran (the test relied on another test of the class having loaded it: run alone, or after the
     * one that flushes the scripts, its buy never ran).
     */
    @Test
    void a_buy_whose_answer_was_lost_is_voided_and_its_ticket_comes_back() {
        redis.initStock(KEY, 10);
        Keys keys = Keys.ofDefault(KEY);
        try (TcpProxy link = TcpProxy.to(redis.port());
                RedisStore node = node(link.port(), (int) TimeScale.ms(UNHURRIED_MS))) {
            GlobalStock stock = readyStock(node, keys);
            link.breakOnAnswers(true);
            assertThrows(StockUnavailableException.class,
                    () -> stock.reserve(new Buyer("dora", "lost-1"), 3001, Terms.of(60_000, 1)));
            assertEquals(1, redis.sold(KEY), "the call did run in Redis");
            assertEquals(1, node.buyCallsToVoid(), "Redis lost every answer while the node tried to void the call"
                    + " before answering: it waits for the node's duty");
            link.breakOnAnswers(false);
            assertEquals(1, node.settleUncertainBuys(), "one ticket came back");
            assertEquals(0, redis.sold(KEY));
            try (Jedis jedis = redis.client()) {
                List<StreamEntry> events = jedis.xrange(keys.orderStream(), (StreamEntryID) null, null);
                assertEquals(List.of(Keys.CREATED_EVENT, Order.VOIDED),
                        events.stream().map(e -> e.getFields().get(Keys.EVENT)).toList());
                String id = events.get(0).getFields().get(Keys.ID);
                assertEquals(Order.VOIDED, node.orderBook().find(id).orElseThrow().state());
                assertEquals(null, jedis.hget(keys.holders(), "dora"), "dora holds no order");
            }
            assertEquals(0, node.settleUncertainBuys(), "nothing left to void");
            Reservation again = stock.reserve(new Buyer("dora", "lost-1"), 3001, Terms.of(60_000, 1));
            assertEquals(Outcome.TICKET, again.outcome(), "the request that was answered 503 may buy again");
            assertEquals(1, redis.sold(KEY));
        }
    }

    /**
     * The buy ran and its settling ran, but the settling's answer was lost (the link broke, a Redis
     * killed after writing it to its AOF): the order is settled, its buyer hears 503. Before, the
     * void waited for the node's background duty, and the buyer's retry, coming first (through any
     * node), was told of the settled order and kept it: a ticket sold to a request answered 503
     * (ChaosIT 4). Now the node voids the call before it answers, and the retry finds nothing of it.
     */
    @Test
    void a_buy_whose_settling_answer_was_lost_is_voided_before_its_buyer_hears_503() {
        redis.initStock(KEY, 10);
        Keys keys = Keys.ofDefault(KEY);
        try (TcpProxy link = TcpProxy.to(redis.port());
                RedisStore node = node(link.port(), (int) TimeScale.ms(UNHURRIED_MS))) {
            GlobalStock stock = readyStock(node, keys);
            link.breakAnswerAfter(1); // the buy's answer passes, the settling's is lost
            assertThrows(StockUnavailableException.class,
                    () -> stock.reserve(new Buyer("erin", "settled-1"), 3001, Terms.of(60_000, 1)));
            // the buyer, answered 503, tries again at once
            Reservation again = stock.reserve(new Buyer("erin", "settled-1"), 3001, Terms.of(60_000, 1));
            assertEquals(Outcome.TICKET, again.outcome(), "the retry is told of no order of the call answered 503:"
                    + " it buys anew");
            assertEquals(1, redis.sold(KEY));
            assertEquals(List.of(Keys.CREATED_EVENT, Order.VOIDED, Keys.CREATED_EVENT), events(keys));
            assertEquals(0, node.buyCallsToVoid(), "no void left for later");
        }
    }

    /**
     * A node hung between its buy and its settling holds the last ticket: the stock looks gone but
     * is not, since the node will give up on the call and the ticket come back. Before, other
     * buyers were told "sold out" and the ticket was sold again later (ChaosIT 7's false sold-out).
     * Now they are told to try again until the node's give-up moment, and the first buy after it
     * voids the hung call and sells its ticket; then "sold out" is final.
     */
    @Test
    void sold_out_waits_for_a_hung_call_and_then_sells_its_ticket() {
        redis.initStock(KEY, 1);
        Keys keys = Keys.ofDefault(KEY);
        String token = "hung:" + System.nanoTime();
        try (Jedis jedis = redis.client()) {
            List<String> time = jedis.time();
            long giveUp = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000 + 700;
            List<String> args = List.of("60000", "1", "", String.valueOf(giveUp), "", token, "hung", "", "3004");
            BuyReply reply = LuaScripts.BUY.run(jedis, keys.forScripts(), args);
            assertEquals(BuyReply.Code.TICKET, reply.told().get(0).code(), "the hung node's call took the last ticket");
        }
        assertEquals(Reservation.UNSETTLED, stock.reserve(new Buyer("erin", null), 3001, Terms.of(60_000, 1)),
                "not sold out while the hung call may give its ticket back");
        GlobalStock.Snapshot seen = stock.snapshot();
        assertEquals(new GlobalStock.Snapshot(1, 1, 1), seen);
        assertEquals(false, seen.soldOut(), "a node reading the stock does not conclude sold out either");

        Reservation[] erin = new Reservation[1];
        Deadline.await(Duration.ofSeconds(5), "erin's buy to be answered other than 'try again'", () -> {
            erin[0] = stock.reserve(new Buyer("erin", null), 3001, Terms.of(60_000, 1));
            return erin[0] != Reservation.UNSETTLED;
        });
        assertEquals(Outcome.TICKET, erin[0].outcome(), "the hung call was voided and its ticket sold to erin");
        assertEquals(Outcome.SOLD_OUT, stock.reserve(new Buyer("fay", null), 3001, Terms.of(60_000, 1)).outcome());
        assertEquals(new GlobalStock.Snapshot(1, 1, 0), stock.snapshot());
        assertEquals(1, redis.sold(KEY));
        try (Jedis jedis = redis.client()) {
            assertEquals(null, jedis.hget(keys.holders(), "hung"), "the hung buyer holds nothing: it heard no ticket");
            assertEquals("1", jedis.hget(keys.stock(), Keys.VOIDED));
        }
    }

    /** Keeps Redis busy for ARGV[1] ms, as a slow command or a stall would. */
    private static final String BUSY_FOR_MS = """
            local function now() local t = redis.call('TIME') return t[1] * 1000000 + t[2] end
            local start = now()
            while now() - start < tonumber(ARGV[1]) * 1000 do end
            return 1
            """;

    /** Waits until Redis no longer answers a PING within 50 ms: the busy script runs. */
    private static void awaitRedisBusy() {
        Deadline.await(Duration.ofSeconds(5), "Redis to be busy with the stall", () -> {
            try (Jedis jedis = redis.client(50)) {
                jedis.ping();
                return false;
            } catch (JedisConnectionException e) {
                return true;
            }
        });
    }

    @Test
    void a_total_of_t_sells_exactly_t() {
        redis.initStock(KEY, 3);
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.TICKET, take());
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(3, redis.sold(KEY));
        assertEquals(new GlobalStock.Snapshot(3, 3), stock.snapshot());
    }

    @Test
    void a_total_of_zero_sells_nothing() {
        redis.initStock(KEY, 0);
        assertEquals(Outcome.SOLD_OUT, take());
        assertEquals(0, redis.sold(KEY));
    }

    @Test
    void the_script_is_loaded_again_after_a_script_flush() {
        redis.initStock(KEY, 5);
        assertEquals(Outcome.TICKET, take());
        try (Jedis jedis = redis.client()) {
            jedis.scriptFlush();
            assertEquals(false, jedis.scriptExists(LuaScripts.BUY.sha()));
        }
        assertEquals(Outcome.TICKET, take());
        assertEquals(2, redis.sold(KEY));
    }

    @Test
    void an_uninitialised_stock_is_unavailable_not_sold_out() {
        try (Jedis jedis = redis.client()) {
            jedis.del(KEY);
        }
        var e = assertThrows(StockUnavailableException.class, this::take);
        assertTrue(e.getMessage().contains("not initialised"), e.getMessage());
        assertThrows(StockUnavailableException.class, stock::snapshot);
    }

    @Test
    void redis_down_is_unavailable_not_sold_out() {
        redis.initStock(KEY, 5);
        redis.stop();
        assertThrows(StockUnavailableException.class, this::take);
        assertThrows(StockUnavailableException.class, stock::snapshot);
        redis.restart();
        assertEquals(Outcome.TICKET, take());
    }
}
