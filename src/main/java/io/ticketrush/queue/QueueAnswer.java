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
 */
public record QueueAnswer(State state, Long position, Long ahead, Long etaMs, long retryAfterMs, String ticket,
        String pass, Long passUntil, boolean passUsed, Long opensInMs, long inRoom) {

    /** Where a buyer stands in the room. */
    public enum State {
        /** In line: before the opening (the lottery not drawn yet), or behind the frontier. */
        WAITING,
        /** The buyer's place is within the frontier: buy with the pass. */
        ADMITTED,
        /** Every ticket is sold or held for an admitted buyer, and the buyer is not admitted: gone, unless one comes back. */
        SOLD_OUT,
        /** {@link #SOLD_OUT}, for a buyer who asked to stay: tickets that come back go to the waitlist in its order. */
        WAITLISTED,
        /** The buyer was admitted but the pass lapsed unused: the turn went to the next in line. */
        LAPSED
    }
}
