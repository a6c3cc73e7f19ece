package io.ticketrush.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Executor;

import io.ticketrush.queue.QueueAnswer.State;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * The lottery's draw is hidden until the opening (docs/queue.md): a queue ticket is signed, not
 * encrypted, so one taken before the opening must not hold the score its holder drew; and polls
 * with it are still answered without a store call.
 */
class QueueTicketSecrecyTest {
    private static final Executor DIRECT = Runnable::run;
    private static RedisServer redis;

    private RedisStore store;
    private final QueueTokens tokens = QueueTokens.ofRandomKey();
    private WaitingRoom room;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void connect() {
        try (Jedis jedis = redis.client()) {
            jedis.flushAll();
        }
        store = RedisStore.open(StoreSettings.from(redis.asNode(Map.of("rush.redis.timeout.ms", "5000"))::get));
        // a draw whose every digit shows: 0.7182818284590452
        room = new WaitingRoom(store.queue(), tokens, store.catalog()::now, () -> 0.7182818284590452, 60_000, 0,
                1000);
    }

    @AfterEach
    void disconnect() {
        room.close();
        store.close();
    }

    @Test
    void a_ticket_taken_before_the_opening_does_not_tell_the_score_and_its_polls_cost_the_store_nothing() {
        long opens = store.catalog().now() + 3_600_000;
        Sale sale = store.admin().create(new Sale("H1", "H1", 10, opens, 0, 1, 60_000, 0, 0, true).withQueue(5, 0));
        QueueAnswer joined = room.join(sale, "hana", null, DIRECT).join();
        assertEquals(State.WAITING, joined.state());
        String score;
        try (Jedis jedis = redis.client()) {
            Double held = jedis.zscore(Keys.of(sale.id(), "ticket_hash_key").queue(), "hana");
            assertNotNull(held, "the join placed hana in the room");
            score = String.valueOf(held);
        }
        assertEquals(0.7182818284590452, Double.parseDouble(score), "the room holds the score drawn");
        String decoded = new String(Base64.getUrlDecoder().decode(joined.ticket().substring(0,
                joined.ticket().indexOf('.'))), StandardCharsets.ISO_8859_1);
        assertTrue(decoded.contains("hana"), "the decoded ticket is its fields: " + decoded);
        for (String digits : new String[] {"718281", "0.71828", score}) {
            assertFalse(decoded.contains(digits), "the ticket before the opening tells the score drawn (" + digits
                    + "): " + decoded);
        }
        long calls = room.storeCalls();
        for (int i = 0; i < 5; i++) {
            QueueAnswer polled = room.poll(sale, "hana", joined.ticket(), false, DIRECT).join();
            assertEquals(State.WAITING, polled.state());
            assertEquals(joined.ticket(), polled.ticket(), "the poll answers the same ticket");
        }
        assertEquals(calls, room.storeCalls(), "polls before the opening asked the store");
    }

    @Test
    void the_node_reads_the_sealed_draw_back_exactly_and_another_rooms_key_reads_nothing() {
        long opens = store.catalog().now() + 3_600_000;
        Sale sale = store.admin().create(new Sale("H2", "H2", 10, opens, 0, 1, 60_000, 0, 0, true).withQueue(5, 0));
        String ticket = room.join(sale, "hana", null, DIRECT).join().ticket();
        QueueTokens.Ticket read = tokens.readTicket(ticket).orElseThrow();
        assertEquals("0.7182818284590452", read.score(), "the draw, sealed in the ticket, for the node alone");
        assertEquals(0, read.rank(), "no rank before the opening");
        assertTrue(QueueTokens.ofRandomKey().readTicket(ticket).isEmpty(), "another room's key reads the ticket");
    }
}
