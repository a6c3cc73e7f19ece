package io.ticketrush.redis.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.Standing;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.stats.ClusterView;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.RedisUsers;
import io.ticketrush.writer.OrderEntries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * The sales on a real Redis Cluster: three masters with two replicas each ({@link RedisClusterGroup},
 * as {@code ./rush up --redis cluster} starts it), reached through Jedis's slot map as the nodes
 * reach it. Each sale's keys share its hash tag, so a sale lives on one master and its buy stays
 * one script on one connection, waited on by that master's replica; sales spread over the masters
 * by their tags; the reads over every sale (the catalog, the dashboard, the expiry sweep, the
 * order writer) go to every master.
 */
class ClusteredStockTest {
    private static RedisClusterGroup group;
    private final List<Integer> killed = new ArrayList<>();
    private RedisStore store;
    private StoreSettings config;
    private WriterSettings writer;

    @BeforeAll
    static void startGroup() {
        group = RedisClusterGroup.start(3);
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
        settings.put("rush.breaker.failures", "1000");
        config = StoreSettings.from(settings::get);
        Map<String, String> writerSettings = new LinkedHashMap<>(group.writerSettings());
        writerSettings.put("rush.writer.name", "writer-test");
        writer = WriterSettings.from(writerSettings::get);
        store = RedisStore.open(config);
    }

    /** Each test leaves the group as it found it: every server up, each master with a replica that acknowledges. */
    @AfterEach
    void heal(TestInfo test) {
        store.close();
        try {
            for (int port : killed) {
                group.restart(port);
            }
            group.awaitHealthy(Duration.ofSeconds(30));
        } catch (AssertionError | RuntimeException e) {
            System.out.println(test.getDisplayName() + ": the group's logs\n" + group.logs());
            throw e;
        }
    }

    /**
     * Every node of the cluster requires the password, and the nodes' ACL user, which asks for the
     * slots (CLUSTER SLOTS), may change nothing of the cluster: no failover, reset, forget, meet,
     * slot assignment, nor FLUSHALL.
     */
    @Test
    void every_cluster_node_refuses_a_client_without_the_password_and_the_nodes_user_cannot_change_the_cluster() {
        List<Integer> masters = group.masterPorts();
        List<String> wrong = new ArrayList<>();
        for (int port : group.ports()) {
            try (Jedis stranger = new Jedis("127.0.0.1", port, 2000)) {
                String reply = RedisUsers.reply(stranger, "CLUSTER", "SLOTS");
                if (!reply.startsWith("ERROR: NOAUTH")) {
                    wrong.add("node " + port + " without a password: " + reply);
                }
            }
            try (Jedis node = new Jedis(new HostAndPort("127.0.0.1", port),
                    RedisUsers.client(RedisUsers.NODE, group.users().nodePassword(), 2000))) {
                assertEquals(3, node.clusterSlots().size(), "the nodes' user reads the slots of node " + port);
                for (String[] command : List.of(new String[] {"CLUSTER", "FAILOVER", "FORCE"},
                        new String[] {"CLUSTER", "RESET", "HARD"}, new String[] {"CLUSTER", "FORGET", "0".repeat(40)},
                        new String[] {"CLUSTER", "MEET", "127.0.0.1", "1"}, new String[] {"CLUSTER", "ADDSLOTS", "0"},
                        new String[] {"CLUSTER", "SETSLOT", "0", "STABLE"}, new String[] {"FLUSHALL"},
                        new String[] {"READONLY"})) {
                    String reply = RedisUsers.reply(node, command);
                    if (!reply.startsWith("ERROR: NOPERM")) {
                        wrong.add("rush-node on " + port + ": " + String.join(" ", command) + " -> " + reply);
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
        assertEquals(masters, group.masterPorts(), "the same masters");
    }

    /** {@code count} new sale ids whose stocks lie on every master of the group, each master alike. */
    private static List<String> idsOnEveryMaster(String prefix, int perMaster) {
        Map<Integer, List<String>> byMaster = new LinkedHashMap<>();
        for (int port : group.masterPorts()) {
            byMaster.put(port, new ArrayList<>());
        }
        for (int i = 0; byMaster.values().stream().anyMatch(ids -> ids.size() < perMaster); i++) {
            String id = prefix + i;
            List<String> on = byMaster.get(group.masterOf(Keys.of(id, "ticket_hash_key").stock()));
            if (on.size() < perMaster) {
                on.add(id);
            }
        }
        return byMaster.values().stream().flatMap(List::stream).toList();
    }

    private Sale create(String id, long total) {
        long now = store.catalog().now();
        return store.admin().create(new Sale(id, "train " + id, total, now - 1000, 0, 1, 60_000, 0));
    }

    @Test
    void sales_on_every_master_sell_exactly_their_stock_and_every_order_reaches_the_writer_once() throws Exception {
        List<String> ids = idsOnEveryMaster("C" + System.nanoTime() % 100_000 + "x", 2);
        Map<String, Sale> sales = new LinkedHashMap<>();
        for (String id : ids) {
            sales.put(id, create(id, 40));
        }
        // 6 sales x 60 buyers each (40 tickets), 3 buyers a call, 6 threads at once
        Map<String, Set<String>> orders = new ConcurrentHashMap<>();
        Map<String, Integer> soldOut = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Sale sale : sales.values()) {
                GlobalStock stock = store.stockOf(sale);
                for (int part = 0; part < 2; part++) {
                    int from = part * 30;
                    done.add(threads.submit(() -> {
                        for (int i = from; i < from + 30; i += 3) {
                            List<GlobalStock.Request> calls = new ArrayList<>();
                            for (int b = i; b < i + 3; b++) {
                                calls.add(new GlobalStock.Request(new Buyer("u" + b, null), 3001 + part()));
                            }
                            while (!calls.isEmpty()) {
                                List<Reservation> got = stock.reserveAll(calls, sale);
                                List<GlobalStock.Request> again = new ArrayList<>();
                                for (int k = 0; k < got.size(); k++) {
                                    Reservation r = got.get(k);
                                    if (r == Reservation.UNSETTLED) {
                                        again.add(calls.get(k)); // the other caller's call holds tickets: ask again
                                    } else if (r.outcome() == Outcome.TICKET) {
                                        orders.computeIfAbsent(sale.id(), s -> ConcurrentHashMap.newKeySet())
                                                .add(r.orderId());
                                    } else {
                                        assertEquals(Outcome.SOLD_OUT, r.outcome());
                                        soldOut.merge(sale.id(), 1, Integer::sum);
                                    }
                                }
                                calls = again;
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        Set<String> every = new HashSet<>();
        for (String id : ids) {
            assertEquals(40, orders.get(id).size(), "sale " + id + ": tickets answered");
            assertEquals(20, soldOut.get(id), "sale " + id + ": buyers told sold out");
            assertEquals(new GlobalStock.Snapshot(40, 40), store.admin().stock(id).orElseThrow());
            every.addAll(orders.get(id));
            try (Jedis master = group.connect(group.masterOf(Keys.of(id, "x").stock()))) {
                assertEquals("40", master.hget(Keys.of(id, "x").stock(), Keys.SOLD), "the sale lives on its master");
            }
        }
        assertEquals(240, every.size(), "no order id twice, across sales and shards");

        // the reads over every sale reach every master in one pipeline
        Map<String, Long> sold = new LinkedHashMap<>();
        for (Standing standing : store.catalog().standings()) {
            sold.put(standing.sale().id(), standing.sold());
        }
        ids.forEach(id -> assertEquals(40L, sold.get(id), "the catalog's standing of " + id));
        ClusterView.Raw view = store.stats(() -> new ArrayList<>(sales.values())).read(null);
        assertEquals(240, view.sold());
        assertEquals(240L, view.total());
        OrderBook book = store.orderBook(() -> new ArrayList<>(sales.values()));
        assertEquals(0, book.expireDue(100), "the expiry script runs on every master: nothing is due");
        List<Order> u7 = book.ofUser("u7");
        assertEquals(ids.size(), u7.size(), "u7 bought one ticket in each sale");

        // the order writer reads each master's streams and acknowledges each sale in its own slot
        Map<String, Integer> read = new LinkedHashMap<>();
        try (OrderStream events = RedisOrderStream.open(writer, OrderEntries::toDelivery)) {
            events.join();
            Deadline.await(Duration.ofSeconds(20), "every order event to be read", () -> {
                List<OrderStream.Delivery> next = events.next(100, 100);
                next.forEach(d -> read.merge(d.sale(), 1, Integer::sum));
                events.acknowledge(next, List.of(), 0);
                return ids.stream().allMatch(id -> read.getOrDefault(id, 0) >= 40);
            });
            assertTrue(events.next(100, 100).isEmpty(), "nothing read twice");
        }
        for (String id : ids) {
            assertEquals(40, read.get(id), "sale " + id + ": events read");
            assertEquals(40, store.admin().orders(id).inDatabase(), "sale " + id + ": marked written");
        }
    }

    /**
     * A sale archived (its keys gone: docs/archive.md) after the writer last read the sales: the
     * read of its stream answers NOGROUP. The other sales of its master are read in the same
     * pipelined round trip, and are read in that round all the same; the writer then reads the
     * sales again, and does not make the archived sale's stream again. (The soak on a cluster saw
     * a failed writer round, and a WARNING with its stack, for each sale archived.)
     */
    @Test
    void a_sale_archived_since_the_writer_read_the_sales_holds_up_no_other_sale_of_its_master() {
        List<String> ids = idsOnEveryMaster("A" + System.nanoTime() % 100_000 + "x", 2);
        String gone = ids.get(0);
        String kept = ids.get(1); // the same master
        for (String id : List.of(gone, kept)) {
            Sale sale = create(id, 10);
            List<GlobalStock.Request> calls = new ArrayList<>();
            for (int b = 0; b < 3; b++) {
                calls.add(new GlobalStock.Request(new Buyer("u" + b, null), 3001));
            }
            store.stockOf(sale).reserveAll(calls, sale).forEach(r -> assertEquals(Outcome.TICKET, r.outcome()));
        }
        Keys archived = Keys.of(gone, "ticket_hash_key");
        try (OrderStream events = RedisOrderStream.open(writer, OrderEntries::toDelivery);
                Jedis master = group.connect(group.masterOf(archived.stock()));
                Jedis salesMaster = group.connect(group.masterOf(Keys.sales()))) {
            events.join();
            // archived as archive_sale.lua and RedisSaleArchive do it, after the writer's join
            master.unlink(archived.stock(), archived.orderStream());
            salesMaster.srem(Keys.sales(), gone);
            salesMaster.incr(Keys.salesVersion());
            List<OrderStream.Delivery> next = events.next(100, 100);
            assertEquals(3, next.stream().filter(d -> d.sale().equals(kept)).count(),
                    "the other sale of the archived one's master: its 3 events read in that round");
            events.acknowledge(next, List.of(), 0);
            events.join();
            List<OrderStream.Delivery> after = events.next(100, 100);
            assertTrue(after.stream().noneMatch(d -> d.sale().equals(kept) || d.sale().equals(gone)),
                    "nothing of either sale read again: " + after);
            assertFalse(master.exists(archived.orderStream()), "the archived sale's stream is not made again");
        }
    }

    private static int part() {
        return (int) (Thread.currentThread().getId() % 4);
    }

    /**
     * kill -9 the master of one sale: its replica takes over its slots with every ticket answered
     * before the kill (each was waited on), the nodes' slot map follows, the scripts are loaded
     * again there; a sale on another master sells on through the failover. The new master sells
     * without the killed server (min-replicas-to-write 1: the killed master's other replica follows
     * the new master), which is started again only after the test.
     */
    @Test
    void after_kill_9_of_a_master_its_replica_has_every_ticket_answered_and_the_other_masters_sell_on() {
        List<String> ids = idsOnEveryMaster("K" + System.nanoTime() % 100_000 + "x", 1);
        Sale hit = create(ids.get(0), 100);
        Sale other = create(ids.get(1), 100);
        GlobalStock stock = store.stockOf(hit);
        List<String> answered = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (Reservation r : stock.reserveAll(List.of(new GlobalStock.Request(new Buyer("k" + i, null), 3001),
                    new GlobalStock.Request(Buyer.ANONYMOUS, 3002)), hit)) {
                assertEquals(Outcome.TICKET, r.outcome());
                answered.add(r.orderId());
            }
        }
        String stockKey = Keys.of(hit.id(), "x").stock();
        int old = group.masterOf(stockKey);
        OrderStream events = RedisOrderStream.open(writer, OrderEntries::toDelivery); // the order writer's reads, from before the kill
        events.join();
        assertNotEquals(old, group.masterOf(Keys.of(other.id(), "x").stock()));
        List<Integer> replicas = group.replicasOf(old);
        long start = System.nanoTime();
        group.kill9(old);
        killed.add(old);
        assertEquals(Outcome.TICKET, store.stockOf(other).reserve(new Buyer("meanwhile", null), 3003, other)
                .outcome(), "a sale on another master sells while this one fails over");
        Deadline.await(Duration.ofSeconds(30), "a replica of " + old + " " + replicas + " to take over the sale's slot",
                () -> replicas.contains(group.masterOf(stockKey)));
        long failover = (System.nanoTime() - start) / 1_000_000;
        Reservation next = null;
        int refused = 0;
        while (next == null) {
            try {
                next = stock.reserve(Buyer.ANONYMOUS, 3001, hit);
            } catch (StockUnavailableException e) {
                refused++;
                assertTrue(System.nanoTime() - start < Duration.ofSeconds(40).toNanos(), "not selling in 40 s: " + e);
            }
        }
        long outage = (System.nanoTime() - start) / 1_000_000;
        int master = group.masterOf(stockKey);
        assertNotEquals(old, master);
        assertEquals(Outcome.TICKET, next.outcome());
        try (Jedis jedis = group.connect(master)) {
            assertEquals("21", jedis.hget(stockKey, Keys.SOLD), "the 20 tickets answered before the kill and one after");
            Set<String> ids2 = new TreeSet<>(jedis.hkeys(Keys.of(hit.id(), "x").orders()));
            assertTrue(ids2.containsAll(answered), "every order answered before the kill is on the new master");
        }
        // the writer's reads follow the slots to the new master: every order made, of both sales, each once
        Map<String, Set<Long>> created = new ConcurrentHashMap<>();
        List<String> failures = new ArrayList<>();
        List<Long> answeredIds = answered.stream().map(Long::parseLong).toList();
        try (events) {
            Deadline.await(Duration.ofSeconds(20), "the writer to read every order of both sales", () -> {
                try {
                    events.join();
                    List<OrderStream.Delivery> batch = events.next(100, 100);
                    for (OrderStream.Delivery d : batch) {
                        if (Keys.CREATED_EVENT.equals(d.event().event())) {
                            assertTrue(created.computeIfAbsent(d.sale(), s -> new HashSet<>()).add(d.event().orderId()),
                                    "order " + d.event().orderId() + " read twice");
                        }
                    }
                    events.acknowledge(batch, List.of(), 0);
                } catch (RuntimeException e) {
                    failures.add(e.toString()); // the first reads after the failover fail; each renews the slot map
                    return false;
                }
                return created.getOrDefault(hit.id(), Set.of()).containsAll(answeredIds)
                        && created.getOrDefault(other.id(), Set.of()).size() == 1;
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": read " + created + "; failures " + failures, e);
        }
        System.out.printf("clustered stock: kill -9 of master %d; its replica %d took the slots %d ms later and, the"
                + " killed server still down, the sale sold again %d ms after the kill (%d calls refused meanwhile,"
                + " each a 503)%n", old, master, failover, outage, refused);
    }

    /**
     * A read over every master (one pipeline, one connection per master) on a connection the
     * pool kept to a master that has just died: Jedis's cluster pipeline logs the lost connection
     * and leaves that master's answers unset instead of throwing, so reading one of them must turn
     * into "unavailable" (a buyer's 503, tried again), as any Redis failure does, not escape as an
     * internal error (a 500 the buyer takes as final).
     */
    @Test
    void a_read_over_every_master_that_loses_one_of_them_is_unavailable_not_an_internal_error() {
        String hot = null;
        for (int i = 0; hot == null; i++) {
            String id = "P" + System.nanoTime() % 100_000 + "x" + i;
            Set<Integer> masters = new HashSet<>();
            for (int b = 0; b < 3; b++) {
                masters.add(group.masterOf(Keys.of(id + "--" + b, "ticket_hash_key").stock()));
            }
            hot = masters.size() == 3 ? id : null;
        }
        long now = store.catalog().now();
        Sale sale = store.admin().create(new Sale(hot, "hot " + hot, 30, now - 1000, 0, 1, 60_000, 0, 3));
        var buckets = store.buckets(3001);
        assertFalse(buckets.soldOut(sale), "read on every master: a pooled connection to each");
        int master = group.masterOf(Keys.of(sale.bucketId(1), "ticket_hash_key").stock());
        group.kill9(master);
        killed.add(master);
        RuntimeException failed = null;
        try {
            buckets.soldOut(sale);
        } catch (RuntimeException e) {
            failed = e;
        }
        assertTrue(failed instanceof StockUnavailableException, "reading bucket 1 on its dead master: " + failed);
    }
}
