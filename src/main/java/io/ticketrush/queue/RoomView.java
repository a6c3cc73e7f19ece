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
 */
public record RoomView(long admitted, long lapsed, long returned, long joined, long total, long sold, long at) {

    /** The empty room of a sale no step has read yet. */
    static RoomView empty(long total) {
        return new RoomView(0, 0, 0, 0, total, 0, 0);
    }
}
