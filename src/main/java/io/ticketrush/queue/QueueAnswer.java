package io.ticketrush.queue;

/**
 * What a join or a poll of a queued sale's room answers (docs/queue.md, "The answers").
 *
 * @param state where the buyer stands
 * @param position 1-based among those waiting (not admitted); null before the lottery is drawn and
 *     once admitted
 * @param ahead those waiting before the buyer ({@code position - 1}); null when position is
 * @param etaMs when the clock admits the buyer's place, from now, at the sale's rate; null before the
 *     lottery, once admitted, and for a place beyond what the tickets reach (it moves only when
 *     tickets come back)
 * @param retryAfterMs when to poll again (the rule: docs/queue.md)
 * @param ticket the queue ticket to poll with (a new one once the lottery placed the buyer)
 * @param pass the pass to buy with ({@code X-Queue-Pass}); only when admitted and not spent
 * @param passUntil until when the pass buys (ms, the sales' clock); null without a pass
 * @param passUsed whether the buyer's pass bought already
 * @param opensInMs before the opening: how long until it (and the lottery); null after
 * @param inRoom places in the room, as last read
 * @param passesOut beyond the clock's reach (waiting on lapses, sold out, waitlisted): admitted buyers
 *     ahead who have neither bought nor let their pass lapse; each that lapses admits the next place.
 *     Null otherwise
 * @param unpaid beyond the clock's reach: orders not paid yet, each of which may come back (expiring,
 *     or cancelled) and admit the next place. Null otherwise
 * @param last sold out, and no order is left unpaid: no ticket can come back, so nothing in the room
 *     changes this answer any more (only more stock would). False otherwise
 */
public record QueueAnswer(State state, Long position, Long ahead, Long etaMs, long retryAfterMs, String ticket,
        String pass, Long passUntil, boolean passUsed, Long opensInMs, long inRoom, Long passesOut, Long unpaid,
        boolean last) {

    /** An answer without the figures of a place beyond the clock's reach. */
    public QueueAnswer(State state, Long position, Long ahead, Long etaMs, long retryAfterMs, String ticket,
            String pass, Long passUntil, boolean passUsed, Long opensInMs, long inRoom) {
        this(state, position, ahead, etaMs, retryAfterMs, ticket, pass, passUntil, passUsed, opensInMs, inRoom, null,
                null, false);
    }

    /** Where a buyer stands in the room. */
    public enum State {
        /**
         * In line: before the opening (the lottery not drawn yet), behind the frontier within the
         * clock's reach, or beyond it while any ticket is not sold yet (a turn ahead may lapse, and
         * the turn it passes on may lapse again).
         */
        WAITING,
        /** The buyer's place is within the frontier: buy with the pass. */
        ADMITTED,
        /**
         * Every ticket is sold and the buyer is not admitted: no ticket can come to the place but by
         * a return (docs/queue.md, "Sold out, honestly").
         */
        SOLD_OUT,
        /** {@link #SOLD_OUT}, for a buyer who asked to stay: tickets that come back go to the waitlist in its order. */
        WAITLISTED,
        /** The buyer was admitted but the pass lapsed unused: the turn went to the next in line. */
        LAPSED
    }
}
