package io.ticketrush.redis.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Buckets;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Moving a hot sale's tickets between its buckets, against a real Redis: a move never takes more
 * than a bucket has unsold, a transfer is given once however often it is asked, and one whose
 * node died between its two steps is finished by the next node that finds it old.
 */
class RedisBucketsTest {
    private RedisServer redis;
    private RedisStore store;
    private Sale hot;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of())::get));
        long now = store.catalog().now();
        hot = store.admin().create(new Sale("B1", "hot", 30, now - 1000, 0, 1, 60_000, 0, 3));
    }

    @AfterEach
    void stop() {
        store.close();
        redis.close();
    }

    private long total(int bucket) {
        try (Jedis jedis = redis.client()) {
            return Long.parseLong(jedis.hget(Keys.of(hot.bucketId(bucket), "x").stock(), Keys.TOTAL));
        }
    }

    @Test
    void a_transfer_left_half_done_by_a_dead_node_is_finished_once_it_is_old_and_given_only_once() {
        assertEquals(3, hot.buckets());
        Keys from = Keys.of(hot.bucketId(1), "x");
        Keys to = Keys.of(hot.bucketId(0), "x");
        try (Jedis jedis = redis.client()) {
            // a node took 4 tickets from bucket 1 for bucket 0, and died before it gave them
            assertEquals(4L, (long) LuaScripts.TAKE_STOCK.run(jedis, List.of(from.stock(), from.transfers()),
                    List.of("dead-1", hot.bucketId(0), "4")));
        }
        Buckets buckets = store.buckets(3001);
        assertEquals(4, buckets.moving(hot), "a fresh transfer is moving: the sale is not sold out meanwhile");
        assertEquals(List.of(10L, 6L, 10L), List.of(total(0), total(1), total(2)), "taken, not yet given");
        Deadline.await(Duration.ofSeconds(RedisBuckets.STALE_MILLIS / 1000 + 5), "the old transfer to be finished",
                () -> buckets.moving(hot) == 0);
        assertEquals(List.of(14L, 6L, 10L), List.of(total(0), total(1), total(2)));
        try (Jedis jedis = redis.client()) {
            assertEquals(false, LuaScripts.GIVE_STOCK.run(jedis, List.of(to.stock(), to.received()),
                    List.of("dead-1", "4")), "given once");
            assertEquals(0, jedis.hlen(from.transfers()));
        }
        assertEquals(14, total(0));
    }

    @Test
    void a_hot_sale_is_sold_out_only_with_every_bucket_gone_and_nothing_moving_or_unsettled() {
        Buckets buckets = store.buckets(3001);
        assertFalse(buckets.soldOut(hot), "30 tickets left");
        try (Jedis jedis = redis.client()) {
            for (int b = 0; b < 3; b++) {
                jedis.hset(Keys.of(hot.bucketId(b), "x").stock(), Keys.SOLD, b == 2 ? "9" : "10");
            }
            Keys two = Keys.of(hot.bucketId(2), "x");
            // the last ticket on its way from bucket 2 to bucket 1: taken, not given
            assertEquals(1L, (long) LuaScripts.TAKE_STOCK.run(jedis, List.of(two.stock(), two.transfers()),
                    List.of("m-1", hot.bucketId(1), "1")));
            assertFalse(buckets.soldOut(hot), "a ticket moving between buckets");
            Keys one = Keys.of(hot.bucketId(1), "x");
            LuaScripts.GIVE_STOCK.run(jedis, List.of(one.stock(), one.received()), List.of("m-1", "1"));
            jedis.hdel(two.transfers(), "m-1");
            assertFalse(buckets.soldOut(hot), "the ticket arrived in bucket 1");
            jedis.hset(one.stock(), Keys.SOLD, "11");
            jedis.zadd(one.unsettled(), Long.MAX_VALUE, "call-1");
            assertFalse(buckets.soldOut(hot), "a buy call unsettled may give its tickets back");
            jedis.zrem(one.unsettled(), "call-1");
        }
        assertTrue(buckets.soldOut(hot));
    }

    @Test
    void a_refill_moves_half_of_what_the_richest_bucket_has_unsold_and_never_more() {
        Buckets buckets = store.buckets(3001);
        assertEquals(5, buckets.refill(hot, 2), "half of the richest's 10");
        assertEquals(30, total(0) + total(1) + total(2));
        assertEquals(15, total(2));
        // take more than a bucket has unsold: only what it has
        try (Jedis jedis = redis.client()) {
            Keys one = Keys.of(hot.bucketId(1), "x");
            jedis.hset(one.stock(), Keys.SOLD, "8");
            assertEquals(2L, (long) LuaScripts.TAKE_STOCK.run(jedis, List.of(one.stock(), one.transfers()),
                    List.of("t-2", hot.bucketId(2), "50")));
            assertEquals(0L, (long) LuaScripts.TAKE_STOCK.run(jedis, List.of(one.stock(), one.transfers()),
                    List.of("t-3", hot.bucketId(2), "1")), "nothing unsold: nothing taken");
        }
        assertEquals(8, total(1));
    }
}
