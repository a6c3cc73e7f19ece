package io.ticketrush.queue;

/**
 * A user's place in a queued sale's waiting room.
 *
 * @param score its score in the room, as the store holds it: in [0, 1) for who joined before the
 *     opening (the lottery), 1 + the arrival number after it
 * @param rank 1-based among everyone in the room; 0 while the lottery is not drawn (before the opening)
 * @param joinedNow whether this join made the place (false: the user had it)
 */
public record Place(String score, long rank, boolean joinedNow) {

    /** Whether the place is known (the lottery drawn): false before the opening. */
    public boolean ranked() {
        return rank > 0;
    }
}
