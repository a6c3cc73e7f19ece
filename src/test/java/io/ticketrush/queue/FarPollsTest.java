package io.ticketrush.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ticketrush.sale.Sale;
import org.junit.jupiter.api.Test;

/**
 * How often the places beyond the tickets' reach poll in a room of a million
 * ({@link WaitingRoom#beyondReachRetry}): the far ones about {@link WaitingRoom#FAR_POLLS_PER_SECOND}
 * in all, those within a few rounds of their turn more often (the arithmetic, selling with 7,000
 * movers: ~1,000 a second for the places one lapse each away, ~650 for two rounds, ~660 for rounds 3
 * to 18, ~1,750 for the 870,000 behind: ~4,400, where the 60 s bound alone asked 16,700 of the far
 * places alone), while every place that two rounds of returns may reach polls at least once a
 * minute, and no place is told to wait longer than the rounds its turn needs at the least.
 */
class FarPollsTest {
    private static final long PASS = 60_000;
    private static final long PAY = 30_000;
    private static final int TOTAL = 10_000;
    private static final long JOINED = 1_000_000;

    private final Sale sale = new Sale("M", "M", TOTAL, 0, 0, 1, PAY, 1, 0, true).withQueue(1000, 0);

    /** Polls a second that the places behind the reach ask for, and checks each place's retry on the way. */
    private double pollsPerSecond(RoomView view) {
        long reach = Frontier.reach(sale, view);
        long movers = Math.max(1, Math.max(0, view.total() - view.sold()) + view.pending());
        long round = Math.min(PASS, PAY);
        double polls = 0;
        long previous = 0;
        for (long rank = reach + 1; rank <= view.joined(); rank++) {
            long retry = WaitingRoom.beyondReachRetry(sale, view, rank, PASS);
            long needed = rank - reach;
            long rounds = (needed + movers - 1) / movers;
            assertTrue(retry >= previous, "place " + rank + " polls sooner (" + retry + " ms) than one ahead ("
                    + previous + " ms)");
            if (rounds <= 2) {
                // a round may admit it before its next poll: it must hear of the pass with half its time left
                assertTrue(retry <= PASS / 2, "place " + rank + ", two rounds of returns from its turn, told to wait "
                        + retry + " ms, more than half a pass's " + PASS + " ms");
            } else {
                assertTrue(retry <= Math.max(PASS / 2, (rounds - 2) * round), "place " + rank + ", " + rounds
                        + " rounds from its turn, told to wait " + retry + " ms");
            }
            polls += 1000.0 / retry;
            previous = retry;
        }
        return polls;
    }

    @Test
    void a_million_far_places_ask_about_two_thousand_times_a_second_while_selling_and_sold_out() {
        // selling: 7,000 sold (4,000 of them unpaid), 3,000 passes out
        RoomView selling = new RoomView(TOTAL, 0, 0, JOINED, TOTAL, 7_000, 0, 7_000, 4_000);
        double whileSelling = pollsPerSecond(selling);
        assertTrue(whileSelling < 5_000, "the far places ask " + whileSelling + " times a second while selling");
        // sold out, 5,000 orders unpaid
        RoomView soldOut = new RoomView(TOTAL, 300, 200, JOINED, TOTAL, TOTAL, 0, 10_200, 5_000);
        double whenSoldOut = pollsPerSecond(soldOut);
        assertTrue(whenSoldOut < 5_000, "the far places ask " + whenSoldOut + " times a second, sold out");
        assertEquals(WaitingRoom.FAR_MOST_RETRY_MILLIS * 10 * JOINED / 1_200_000, WaitingRoom.beyondReachRetry(sale,
                soldOut, JOINED, PASS), "the last place: the room spread over 2,000 polls a second");
    }

    /**
     * The million-buyer run's lost turns: sold out, 10,000 orders unpaid, all made in the opening's
     * minute and so all expiring within one; the last place they reach is admitted as soon as the
     * first. Told to wait up to 60 s (a pass's whole time), three buyers heard of their turn after
     * their pass lapsed. Each such place now polls at most half a pass apart.
     */
    @Test
    void every_place_the_unpaid_orders_may_reach_polls_within_half_a_pass() {
        RoomView soldOut = new RoomView(TOTAL, 0, 0, JOINED, TOTAL, TOTAL, 0, TOTAL, TOTAL);
        long reach = Frontier.reach(sale, soldOut);
        for (long rank = reach + 1; rank <= reach + TOTAL; rank++) {
            long retry = WaitingRoom.beyondReachRetry(sale, soldOut, rank, PASS);
            assertTrue(retry <= PASS / 2, "place " + rank + ", " + (rank - reach) + " expiries from its turn, told to"
                    + " wait " + retry + " ms of a pass's " + PASS + " ms");
        }
    }

    @Test
    void a_room_of_a_hundred_thousand_keeps_the_minute_bound() {
        RoomView soldOut = new RoomView(TOTAL, 0, 0, 100_000, TOTAL, TOTAL, 0, TOTAL, 2_000);
        for (long rank = TOTAL + 1; rank <= 100_000; rank += 997) {
            assertTrue(WaitingRoom.beyondReachRetry(sale, soldOut, rank, PASS) <= 50_000, "place " + rank);
        }
    }
}
