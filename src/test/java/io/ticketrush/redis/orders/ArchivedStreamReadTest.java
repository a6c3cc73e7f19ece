package io.ticketrush.redis.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.settings.WriterSettings;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisServer;
import io.ticketrush.writer.OrderEntries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

/**
 * A sale archived (its keys gone: docs/archive.md) after the order writer last read the sales: its
 * stream is gone before the writer's next read, which Redis answers NOGROUP for all the streams it
 * names. That read is no failure of the writer (the soak saw a failed round, a WARNING with its
 * stack and a pause, for most sales archived): the writer reads the sales again and goes on.
 * Redis Cluster's reads, one per stream: ClusteredStockTest.
 */
class ArchivedStreamReadTest {
    private static final String KEY = "ticket_hash_key";
    private static RedisServer redis;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void a_sale_archived_since_the_writer_read_the_sales_fails_no_read_and_is_not_made_again() {
        redis.initStock(KEY, 10);
        Map<String, String> writerSettings = new HashMap<>(redis.asWriter(Map.of("rush.writer.name", "writer-1")));
        try (RedisStore store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
                OrderStream events = RedisOrderStream.open(WriterSettings.from(writerSettings::get),
                        OrderEntries::toDelivery);
                Jedis jedis = redis.client()) {
            long now = store.catalog().now();
            for (String id : List.of("GONE", "KEPT")) {
                Sale sale = store.admin().create(new Sale(id, "train " + id, 10, now - 1000, 0, 1, 60_000, 0));
                List<GlobalStock.Request> calls = new ArrayList<>();
                for (int b = 0; b < 3; b++) {
                    calls.add(new GlobalStock.Request(new Buyer("u" + b, null), 3001));
                }
                store.stockOf(sale).reserveAll(calls, sale).forEach(r -> assertEquals(Outcome.TICKET, r.outcome()));
            }
            events.join();
            // archived as archive_sale.lua and RedisSaleArchive do it, after the writer's join
            Keys archived = Keys.of("GONE", KEY);
            jedis.unlink(archived.stock(), archived.orderStream());
            try (Transaction multi = jedis.multi()) {
                multi.srem(Keys.sales(), "GONE");
                multi.incr(Keys.salesVersion());
                multi.exec();
            }
            List<OrderStream.Delivery> read = new ArrayList<>(events.next(100, 100));
            events.join();
            read.addAll(events.next(100, 100));
            assertEquals(3, read.stream().filter(d -> d.sale().equals("KEPT")).count(), "the other sale's 3 events: " + read);
            assertTrue(read.stream().noneMatch(d -> d.sale().equals("GONE")), "none of the archived sale's: " + read);
            assertFalse(jedis.exists(archived.orderStream()), "the archived sale's stream is not made again");
        }
    }
}
