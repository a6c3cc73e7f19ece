package io.ticketrush.redis.sales;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** A sale's buyers as Redis keeps them: the field create_sale writes, read back by the catalog. */
class SaleBuyersTest {
    private static final String KEY = "ticket_hash_key";
    private RedisServer redis;
    private RedisStore store;

    @BeforeEach
    void start() {
        redis = RedisServer.start();
        // as the nodes' ACL user, as a node reads and writes a sale
        store = RedisStore.open(StoreSettings.from(
                redis.asNode(Map.of("rush.redis.port", String.valueOf(redis.port())))::get));
    }

    @AfterEach
    void stop() {
        store.close();
        redis.close();
    }

    private String field(String sale) {
        try (Jedis jedis = redis.client()) {
            return jedis.hget(Keys.of(sale, KEY).stock(), Keys.BUYERS);
        }
    }

    @Test
    void the_default_sale_rush_up_makes_is_open_and_a_created_sale_keeps_the_buyers_it_was_given() {
        assertTrue(store.admin().createDefaultIfAbsent(10));
        assertEquals(Sale.OPEN, field(Sale.DEFAULT));
        assertFalse(store.catalog().find(Sale.DEFAULT).orElseThrow().signed(), "the article's sale: open");
        Sale signed = store.admin().create(new Sale("G1", "G1", 5, 0, 0, 1, 60_000, 0).withSigned(true));
        assertTrue(signed.signed());
        assertEquals(Sale.SIGNED, field("G1"));
        Sale open = store.admin().create(new Sale("G2", "G2", 5, 0, 0, 1, 60_000, 0));
        assertFalse(open.signed());
        assertEquals(Sale.OPEN, field("G2"));
    }

    @Test
    void a_sale_without_the_field_is_open_and_one_with_a_word_it_does_not_know_is_not_read_as_open() {
        redis.initStock(KEY, 10); // the article's bare HMSET
        assertFalse(store.catalog().find(Sale.DEFAULT).orElseThrow().signed());
        try (Jedis jedis = redis.client()) {
            jedis.hset(KEY, Keys.BUYERS, "everyone");
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.catalog().find(Sale.DEFAULT));
        assertTrue(e.getMessage().contains("buyers 'everyone'"), e.getMessage());
    }
}
