package io.ticketrush.redis.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.connect.CircuitBreaker;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisPools;
import io.ticketrush.redis.connect.ReplicaWaits;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.redis.script.BuyReply;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.RedisSentinelGroup;
import io.ticketrush.support.RedisUsers;
import io.ticketrush.support.Terms;
import io.ticketrush.writer.OrderEntries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.params.ClientKillParams;

/**
 * The buy step against a real replicated Redis: a primary, two replicas and three Sentinels
 * ({@link RedisSentinelGroup}), reached through the Sentinels as the nodes reach it. A ticket is
 * answered only once a replica has it; a primary cut off its replicas refuses to sell; a buy whose
 * wait runs out sells nothing; a failover keeps every ticket answered.
 */
class ReplicatedStockTest {
    private static final String KEY = "ticket_hash_key";
    private static final Sale SALE = Terms.of(60_000, 1);
    private static RedisSentinelGroup group;
    private RedisStore store;
    private GlobalStock stock;
    private StoreSettings config;
    private WriterSettings writer;

    @BeforeAll
    static void startGroup() {
        group = RedisSentinelGroup.start();
    }

    @AfterAll
    static void stopGroup() {
        if (group != null) {
            group.close();
        }
    }

    @BeforeEach
    void connect() {
        Map<String, String> settings = new LinkedHashMap<>(group.settings());
        settings.put("rush.stock.key", KEY);
        settings.put("rush.breaker.failures", "1000");
        config = StoreSettings.from(settings::get);
        Map<String, String> writerSettings = new LinkedHashMap<>(group.writerSettings());
        writerSettings.put("rush.stock.key", KEY);
        writerSettings.put("rush.writer.name", "writer-test");
        writer = WriterSettings.from(writerSettings::get);
        store = RedisStore.open(config);
        stock = store.stockOf(Terms.of(60_000, 1));
    }

    /** Each test leaves the group as it found it: every server up, not paused, both replicas good. */
    @AfterEach
    void heal(TestInfo test) {
        store.close();
        try {
            for (int port : group.serverPorts()) {
                if (group.alive(port)) {
                    group.resume(port);
                } else {
                    group.restart(port);
                }
            }
            group.awaitHealthy();
        } catch (AssertionError | RuntimeException e) {
            System.out.println(test.getDisplayName() + ": the group's logs\n" + group.logs());
            throw e;
        }
    }

    /**
     * The Sentinels require the password too (else anyone could ask them to fail over, or to watch
     * another primary), and the nodes' and the writer's users may only ask them for the primary:
     * none of SENTINEL SET, FAILOVER, RESET, REMOVE, MONITOR, CONFIG, ACL, nor SHUTDOWN. The
     * servers refuse a client without the password.
     */
    @Test
    void the_sentinels_refuse_a_client_without_the_password_and_the_acl_users_may_only_ask_for_the_primary() {
        int primary = group.primaryPort();
        List<String> wrong = new ArrayList<>();
        for (int sentinel : group.sentinelPorts()) {
            try (Jedis stranger = new Jedis("127.0.0.1", sentinel, 2000)) {
                String reply = RedisUsers.reply(stranger, "SENTINEL", "get-master-addr-by-name", RedisSentinelGroup.MASTER);
                if (!reply.startsWith("ERROR: NOAUTH")) {
                    wrong.add("sentinel " + sentinel + " without a password: " + reply);
                }
            }
            for (String user : List.of(RedisUsers.NODE, RedisUsers.WRITER)) {
                String password = user.equals(RedisUsers.NODE) ? group.users().nodePassword()
                        : group.users().writerPassword();
                try (Jedis client = new Jedis(new HostAndPort("127.0.0.1", sentinel),
                        RedisUsers.client(user, password, 2000))) {
                    List<String> named = client.sentinelGetMasterAddrByName(RedisSentinelGroup.MASTER);
                    if (!List.of("127.0.0.1", String.valueOf(primary)).equals(named)) {
                        wrong.add(user + " asked sentinel " + sentinel + " for the primary: " + named);
                    }
                    for (String[] command : List.of(
                            new String[] {"SENTINEL", "SET", RedisSentinelGroup.MASTER, "down-after-milliseconds", "1"},
                            new String[] {"SENTINEL", "FAILOVER", RedisSentinelGroup.MASTER},
                            new String[] {"SENTINEL", "RESET", "*"},
                            new String[] {"SENTINEL", "REMOVE", RedisSentinelGroup.MASTER},
                            new String[] {"SENTINEL", "MONITOR", "other", "127.0.0.1", "1", "1"},
                            new String[] {"SENTINEL", "MASTERS"},
                            new String[] {"SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes"},
                            new String[] {"ACL", "SETUSER", "intruder", "on", ">x", "+@all"})) {
                        String reply = RedisUsers.reply(client, command);
                        if (!reply.startsWith("ERROR: NOPERM")) {
                            wrong.add(user + " on sentinel " + sentinel + ": " + String.join(" ", command) + " -> " + reply);
                        }
                    }
                }
            }
        }
        // last: let through, it ends the Sentinel
        for (int sentinel : group.sentinelPorts()) {
            try (Jedis client = new Jedis(new HostAndPort("127.0.0.1", sentinel),
                    RedisUsers.client(RedisUsers.NODE, group.users().nodePassword(), 2000))) {
                String reply = RedisUsers.reply(client, "SHUTDOWN");
                if (!reply.startsWith("ERROR: NOPERM")) {
                    wrong.add("rush-node on sentinel " + sentinel + ": SHUTDOWN -> " + reply);
                }
            }
        }
        for (int server : group.serverPorts()) {
            try (Jedis stranger = new Jedis("127.0.0.1", server, 2000)) {
                String reply = RedisUsers.reply(stranger, "PING");
                if (!reply.startsWith("ERROR: NOAUTH")) {
                    wrong.add("server " + server + " without a password: " + reply);
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(primary, group.primaryPort(), "no failover came of it");
        for (int sentinel : group.sentinelPorts()) {
            try (Jedis admin = group.client(sentinel)) {
                assertEquals("2000", admin.sentinelMaster(RedisSentinelGroup.MASTER).get("down-after-milliseconds"),
                        "sentinel " + sentinel + " as configured");
            }
        }
    }

    private static GlobalStock.Request named(String user) {
        return new GlobalStock.Request(new Buyer(user, null), 3001);
    }

    private static GlobalStock.Request anonymous() {
        return new GlobalStock.Request(Buyer.ANONYMOUS, 3002);
    }

    private long soldOnReplicas() {
        long most = 0;
        for (int port : group.replicaPorts()) {
            most = Math.max(most, group.sold(port, KEY));
        }
        return most;
    }

    @Test
    void a_ticket_is_answered_only_once_a_replica_has_it_with_two_waits_per_selling_call() {
        group.initStock(KEY, 120);
        int answered = 0;
        int calls = 0;
        while (answered < 120) {
            List<Reservation> got = stock.reserveAll(List.of(anonymous(), named("u" + answered), anonymous()), SALE);
            calls++;
            answered += (int) got.stream().filter(r -> r.outcome() == Outcome.TICKET).count();
            // WAIT 1 came back before the answer: a replica holds every ticket answered so far
            assertTrue(soldOnReplicas() >= answered, "a replica had " + soldOnReplicas() + " of the " + answered
                    + " tickets answered");
        }
        assertEquals(120, answered);
        RedisStore.ReplicaWaitCounts waits = store.replicaWaitCounts();
        assertEquals(2 * calls, waits.count(), "two waits per selling call (its orders, their settling), not per"
                + " buyer");
        assertEquals(0, waits.timeouts());
        System.out.printf("replicated stock: %d calls of 3 buyers sold %d tickets; the waits for a replica took"
                + " %.0f us a call on average (%.0f us each)%n", calls, answered, waits.nanos() / 1e3 / calls,
                waits.nanos() / 1e3 / waits.count());
        List<Reservation> after = stock.reserveAll(List.of(anonymous()), SALE);
        assertEquals(Outcome.SOLD_OUT, after.get(0).outcome());
        assertEquals(2 * calls, waits.count(), "a call that told nobody of an order waits for nothing");
    }

    /**
     * Cut off both replicas (SIGSTOP): after min-replicas-max-lag the primary refuses every write
     * (NOREPLICAS), before the buy script writes anything, so the refusal is a 503 that sold
     * nothing, with nothing to void; never "sold out".
     */
    @Test
    void a_primary_without_good_replicas_refuses_the_buy_before_it_writes_and_the_buyer_hears_503() {
        group.initStock(KEY, 10);
        assertEquals(Outcome.TICKET, stock.reserve(new Buyer("alice", null), 3001, SALE).outcome());
        int primary = group.primaryPort();
        group.replicaPorts().forEach(group::pause);
        Deadline.await(Duration.ofSeconds(10), "the primary to count no good replica",
                () -> group.goodReplicas(primary) == 0);
        String before = digest(primary);

        StockUnavailableException refused = assertThrows(StockUnavailableException.class,
                () -> stock.reserveAll(List.of(named("bob"), anonymous(), named("alice")), SALE));
        assertTrue(refused.getMessage().contains("NOREPLICAS"), refused.getMessage());
        assertEquals(before, digest(primary), "the refused call wrote nothing at all");
        assertEquals(0, store.buyCallsToVoid(), "nothing to void");

        group.replicaPorts().forEach(group::resume);
        Deadline.await(Duration.ofSeconds(10), "the primary to take writes again",
                () -> group.goodReplicas(primary) > 0);
        assertEquals(Outcome.TICKET, stock.reserve(new Buyer("bob", null), 3001, SALE).outcome());
        assertEquals(2, group.sold(primary, KEY));
    }

    /**
     * Replicas stopped a moment ago: the primary still takes writes (within max-lag), so the buy
     * runs, but its wait runs out. Its buyers hear 503 and its tickets come back at once; the
     * void waits until a replica has it. A named buyer asking again gets a new ticket, never the
     * voided one ("a retried request gets its first answer": the first was 503).
     */
    @Test
    void a_buy_whose_wait_runs_out_is_a_503_and_its_tickets_come_back_at_once() {
        group.initStock(KEY, 10);
        assertEquals(Outcome.TICKET, stock.reserve(Buyer.ANONYMOUS, 3001, SALE).outcome());
        int primary = group.primaryPort();
        group.replicaPorts().forEach(group::pause);
        long start = System.nanoTime();
        StockUnavailableException refused = assertThrows(StockUnavailableException.class,
                () -> stock.reserveAll(List.of(named("carol"), anonymous()), SALE));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(refused.getMessage().contains("no replica"), refused.getMessage());
        assertTrue(tookMillis >= config.redis().replication().waitMillis(), "waited " + tookMillis + " ms");
        assertEquals(1, group.sold(primary, KEY), "its two tickets are back");
        try (Jedis jedis = group.client(primary)) {
            List<Map<String, String>> orders = RedisOrders.all(jedis, Keys.ofDefault(KEY));
            assertEquals(List.of(Order.PENDING, Order.VOIDED, Order.VOIDED), orders.stream()
                    .map(o -> o.get(Keys.STATE)).sorted().toList());
        }
        assertEquals(1, store.buyCallsToVoid(), "the void waits for a replica");
        assertThrows(StockUnavailableException.class, store::settleUncertainBuys);
        assertEquals(1, store.buyCallsToVoid());

        group.replicaPorts().forEach(group::resume);
        Deadline.await(Duration.ofSeconds(10), "the void to reach a replica", () -> {
            store.settleUncertainBuys();
            return store.buyCallsToVoid() == 0;
        });
        Reservation again = stock.reserve(new Buyer("carol", null), 3001, SALE);
        assertEquals(Outcome.TICKET, again.outcome(), "carol heard 503: she holds nothing and buys anew");
        assertEquals(2, group.sold(primary, KEY));
        Deadline.await(Duration.ofSeconds(5), "both replicas to catch up",
                () -> group.replicaPorts().stream().allMatch(port -> group.sold(port, KEY) == 2));
        assertEquals(2, store.replicaWaitCounts().timeouts(), "the buy's wait, and the wait of the void's second try");
    }

    /**
     * kill -9 the primary: the Sentinels promote a replica, the pool follows them, the scripts are
     * loaded again on the new primary (its script cache is empty: NOSCRIPT), and it has every
     * ticket answered before the kill.
     */
    @Test
    void after_kill_9_of_the_primary_the_new_primary_has_every_ticket_answered_and_sells_on() {
        group.initStock(KEY, 50);
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (Reservation r : stock.reserveAll(List.of(anonymous(), named("k" + i)), SALE)) {
                answered.add(r.orderId());
            }
        }
        int old = group.primaryPort();
        long killed = System.nanoTime();
        group.kill(old);
        Reservation next = null;
        while (next == null) {
            try {
                next = stock.reserve(Buyer.ANONYMOUS, 3001, SALE);
            } catch (StockUnavailableException e) {
                assertTrue(System.nanoTime() - killed < Duration.ofSeconds(30).toNanos(), "no failover in 30 s: " + e);
            }
        }
        long outage = (System.nanoTime() - killed) / 1_000_000;
        int primary = group.primaryPort();
        assertNotEquals(old, primary);
        assertEquals(Outcome.TICKET, next.outcome());
        assertEquals(21, group.sold(primary, KEY), "the 20 tickets answered before the kill and the one after");
        try (Jedis jedis = group.client(primary)) {
            List<String> pending = RedisOrders.all(jedis, Keys.ofDefault(KEY)).stream()
                    .filter(o -> Order.PENDING.equals(o.get(Keys.STATE))).map(o -> o.get(Keys.ID)).toList();
            assertTrue(pending.containsAll(answered), "every order answered before the kill is on the new primary");
            assertTrue(jedis.info("errorstats").contains("errorstat_NOSCRIPT"),
                    "the new primary did not know the scripts; they were loaded again");
        }
        System.out.printf("replicated stock: kill -9 of the primary %d; %d sold again %d ms later%n", old, primary,
                outage);
    }

    /**
     * A void on a primary whose replicas do not have it yet, then a failover to one of them: the
     * call is still waiting, so it is voided again on the new primary, which had the call but not
     * its void; its tickets come back there too.
     */
    @Test
    void a_void_no_replica_has_is_done_again_on_the_primary_a_failover_makes() {
        group.initStock(KEY, 10);
        Keys keys = Keys.ofDefault(KEY);
        String token = "test:" + System.nanoTime();
        List<String> args = new ArrayList<>(List.of("60000", "1", "", String.valueOf(Long.MAX_VALUE), "", token));
        args.addAll(List.of("dave", "", "3001", "", "", "3002"));
        int old = group.primaryPort();
        try (Jedis jedis = group.client(old)) {
            // a call whose answer was lost, as a broken connection leaves it: on the replicas too
            BuyReply reply = LuaScripts.BUY.run(jedis, keys.forScripts(), args);
            assertEquals(2, reply.told().size());
            assertEquals(2, jedis.waitReplicas(2, 5000));
        }
        // a node's own list of calls to void, on connections of its own
        RedisCalls calls = new RedisCalls(RedisPools.connections(config.redis()), new CircuitBreaker(1000, 500,
                System::nanoTime), ReplicaWaits.of(config.redis().replication()));
        UncertainBuys uncertain = new UncertainBuys(calls);
        uncertain.add(new UncertainBuys.Call(token, keys.forScripts(), List.of(token)));
        // Cut the replication links: the replicas stopped (SIGSTOP alone is no cut: what the
        // primary sends waits in their sockets), the primary dropping them and, to go on writing
        // without them, not asking for one (it dies with this setting, which is never saved).
        group.replicaPorts().forEach(group::pause);
        try (Jedis jedis = group.client(old)) {
            jedis.configSet("min-replicas-to-write", "0");
            jedis.clientKill(ClientKillParams.clientKillParams().type(ClientType.REPLICA));
        }
        assertThrows(StockUnavailableException.class, uncertain::settle);
        assertEquals(0, group.sold(old, KEY), "voided on the old primary");
        assertEquals(1, uncertain.waiting(), "but no replica has the void: still waiting");

        List<Integer> replicas = group.replicaPorts();
        group.kill(old);
        replicas.forEach(group::resume);
        Deadline.await(Duration.ofSeconds(30), "a replica to be promoted", () -> group.primaryPort() != old);
        int primary = group.primaryPort();
        assertEquals(2, group.sold(primary, KEY), "the new primary had the call, not its void");
        Deadline.await(Duration.ofSeconds(30), "the void to be done again and reach a replica", () -> {
            uncertain.settle();
            return uncertain.waiting() == 0;
        });
        calls.close();
        assertEquals(0, group.sold(primary, KEY), "its tickets are back on the new primary");
    }

    /**
     * The order writer takes an event to the database only once a replica has it: events the
     * primary alone has (its replicas stopped) stay pending in the stream until one does.
     */
    @Test
    void the_order_writer_reads_events_only_once_a_replica_has_them() {
        group.initStock(KEY, 10);
        try (OrderStream events = RedisOrderStream.open(writer, OrderEntries::toDelivery)) {
            events.join();
            assertEquals(Outcome.TICKET, stock.reserve(new Buyer("erin", null), 3001, SALE).outcome());
            List<OrderStream.Delivery> first = events.next(100, 100);
            assertEquals(1, first.size());
            events.acknowledge(first, List.of(), 1);
            group.replicaPorts().forEach(group::pause);
            // sold, waited in vain and voided on the primary alone: a created and a voided event
            assertThrows(StockUnavailableException.class, () -> stock.reserve(new Buyer("fay", null), 3001, SALE));
            IllegalStateException waiting = assertThrows(IllegalStateException.class, () -> events.next(100, 100));
            assertTrue(waiting.getMessage().contains("no replica had them"), waiting.getMessage());
            // read again: still not handed on (or, a second later, the primary refuses writes: NOREPLICAS)
            assertThrows(RuntimeException.class, () -> events.ownPending(100));
            group.replicaPorts().forEach(group::resume);
            Deadline.await(Duration.ofSeconds(10), "the events to reach a replica",
                    () -> events.ownPending(100).size() == 2);
        }
    }

    private static String digest(int port) {
        try (Jedis jedis = group.client(port)) {
            ProtocolCommand debug = () -> "DEBUG".getBytes(StandardCharsets.US_ASCII);
            return new String((byte[]) jedis.sendCommand(debug, "DIGEST"), StandardCharsets.US_ASCII);
        }
    }
}
