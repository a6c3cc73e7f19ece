package io.ticketrush.queue;

/**
 * A queued sale's room as the admission step left it (read once a second per node).
 *
 * @param admitted places admitted so far (the frontier: places 1 to {@code admitted} hold passes)
 * @param lapsed passes that lapsed unused, each admitting one more place
 * @param returned tickets that came back (expired or cancelled orders), each admitting one more place
 * @param joined places in the room
 * @param total the sale's tickets
 * @param sold tickets sold (pending or paid)
 * @param at when the store read it (ms, on the sales' clock)
 * @param spent passes that bought (a buy voided gives its pass back: not counted)
 * @param pending orders not paid yet: each may come back (expiring, or cancelled by its owner)
 */
public record RoomView(long admitted, long lapsed, long returned, long joined, long total, long sold, long at,
        long spent, long pending) {

    /** The empty room of a sale no step has read yet. */
    static RoomView empty(long total) {
        return new RoomView(0, 0, 0, 0, total, 0, 0, 0, 0);
    }

    /**
     * Passes out: admitted buyers who have neither bought nor let their pass lapse. Each may still
     * lapse, and admit one more place (docs/queue.md, "Sold out, honestly").
     */
    public long passesOut() {
        return Math.max(0, admitted - lapsed - spent);
    }
}
