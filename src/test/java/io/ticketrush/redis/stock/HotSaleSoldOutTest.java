package io.ticketrush.redis.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buckets;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Purchase;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.Sales;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * A node's "sold out" for a hot sale against other nodes moving its tickets between buckets at
 * the same moment, against a real Redis: the node reads the buckets one after another (the
 * transfers on record, then each bucket's stock), and another node's moves may land between
 * those reads. No interleaving may make a ticket invisible to all of them, so that a buyer is
 * told "sold out" while a ticket is on its way to a bucket where it is then sold.
 */
class HotSaleSoldOutTest {
    private RedisServer redis;
    private RedisStore store;
    private Sales sales;
    private Sale hot;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
        long now = store.catalog().now();
        hot = store.admin().create(new Sale("R1", "hot", 30, now - 1000, 0, 1, 60_000, 0, 3));
    }

    @AfterEach
    void stop() {
        if (sales != null) {
            sales.close();
        }
        store.close();
        redis.close();
    }

    private Keys bucket(int b) {
        return Keys.of(hot.bucketId(b), "x");
    }

    /** Another node's TAKE: {@code n} tickets of bucket {@code from} recorded as transfer {@code id} to {@code to}. */
    private void take(String id, int from, int to, int n) {
        try (Jedis jedis = redis.client()) {
            assertEquals((long) n, (long) LuaScripts.TAKE_STOCK.run(jedis,
                    List.of(bucket(from).stock(), bucket(from).transfers()), List.of(id, hot.bucketId(to),
                            String.valueOf(n))));
        }
    }

    /** Another node's GIVE of transfer {@code id}, then its record dropped. */
    private void give(String id, int from, int to, int n) {
        try (Jedis jedis = redis.client()) {
            LuaScripts.GIVE_STOCK.run(jedis, List.of(bucket(to).stock(), bucket(to).received()),
                    List.of(id, String.valueOf(n)));
            jedis.hdel(bucket(from).transfers(), id);
        }
    }

    /** A user id a node sends to bucket {@code b}. */
    private static String userOf(int b, String prefix) {
        for (int i = 0;; i++) {
            if (Math.floorMod((prefix + i).hashCode(), 3) == b) {
                return prefix + i;
            }
        }
    }

    @Test
    void a_ticket_moved_on_by_another_node_between_the_reads_of_a_sold_out_check_is_not_missed() {
        // every bucket sold out but for one ticket on its way from bucket 2 to bucket 1 (another
        // node's transfer m-1: taken, not yet given)
        try (Jedis jedis = redis.client()) {
            jedis.hset(bucket(0).stock(), Keys.SOLD, "10");
            jedis.hset(bucket(1).stock(), Keys.SOLD, "10");
            jedis.hset(bucket(2).stock(), Keys.SOLD, "9");
        }
        take("m-1", 2, 1, 1);
        Buckets real = store.buckets(3001);
        List<String> steps = new ArrayList<>();
        // the other node's moves land between this node's reads, as they may on a busy sale
        Buckets interleaved = new Buckets() {
            @Override
            public long refill(Sale sale, int into) {
                return real.refill(sale, into);
            }

            @Override
            public long moving(Sale sale) {
                return real.moving(sale);
            }

            /**
             * The other node's moves land around this node's check: m-1 given to bucket 1, and
             * that ticket taken again for bucket 0 (m-2), just before the check reads; the next
             * time it looks, m-2 has arrived in bucket 0.
             */
            @Override
            public boolean soldOut(Sale sale) {
                if (steps.isEmpty()) {
                    give("m-1", 2, 1, 1);
                    steps.add("m-1 given to bucket 1");
                    take("m-2", 1, 0, 1);
                    steps.add("m-2 taken from bucket 1");
                } else if (steps.size() == 2) {
                    give("m-2", 1, 0, 1);
                    steps.add("m-2 given to bucket 0");
                }
                return real.soldOut(sale);
            }
        };
        sales = new Sales(store.catalog(), store::stockOf, sale -> 5, store::follow, 1000, interleaved);

        Purchase first = sales.buy(hot.id(), new Buyer(userOf(0, "x"), null), 3001);
        String told = first.outcome() + " " + steps;
        if (steps.size() == 2) {
            give("m-2", 1, 0, 1); // the other node finishes its move: the ticket is in bucket 0
        }
        Purchase next = sales.buy(hot.id(), new Buyer(userOf(0, "y"), null), 3001);

        assertEquals(Outcome.TICKET, first.outcome(), () -> "a buyer of bucket 0 was told " + told + " while"
                + " a ticket was on its way to bucket 0; the next buyer of bucket 0 then got " + next.outcome());
        assertEquals(Outcome.SOLD_OUT, next.outcome(), "the one ticket went to the first buyer");
        long total = 0;
        long sold = 0;
        try (Jedis jedis = redis.client()) {
            for (int b = 0; b < 3; b++) {
                total += Long.parseLong(jedis.hget(bucket(b).stock(), Keys.TOTAL));
                sold += Long.parseLong(jedis.hget(bucket(b).stock(), Keys.SOLD));
            }
        }
        assertEquals(List.of(30L, 30L), List.of(total, sold));
    }
}
