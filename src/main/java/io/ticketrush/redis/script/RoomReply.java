package io.ticketrush.redis.script;

import java.util.ArrayList;
import java.util.List;

/**
 * What a waiting room's script ({@code lua/queue_join.lua}, {@code lua/queue_admit.lua},
 * {@code lua/queue_pass.lua}, {@code lua/queue_leave.lua}) answered,
 * decoded in one place: the whole call refused ({@link #refusal}), or its values, in the order its
 * header names them (a join's per joiner {score, rank, new}; the admission step's figures).
 */
public record RoomReply(Refusal refusal, List<Object> values) {

    /** A whole call refused ({@code ROOM} in names.lua): nothing was written. */
    public enum Refusal {
        /** There is no such sale. */
        NO_SALE(-1),
        /** The sale has no waiting room. */
        NOT_QUEUED(-2),
        /** The sale is closed. */
        CLOSED(-3);

        final int code;

        Refusal(int code) {
            this.code = code;
        }
    }

    /** What {@code queue_pass.lua} says of a pass issued ({@code PASS_USE} in names.lua). */
    public enum PassUse {
        /** Not spent: it buys while its time lasts. */
        UNSPENT(0),
        /** Spent: it bought, and its buyer is told of the order (its call settled). */
        SPENT(1),
        /** Spent by a buy whose call is not settled yet, while its node may still answer its buyer. */
        CONFIRMING(2);

        public final int code;

        PassUse(int code) {
            this.code = code;
        }

        /** The use of number {@code code}. */
        public static PassUse of(long code) {
            for (PassUse use : values()) {
                if (use.code == code) {
                    return use;
                }
            }
            throw new IllegalArgumentException("no pass use " + code);
        }
    }

    /** What {@code queue_leave.lua} answers ({@code LEAVE} in names.lua). */
    public enum Leave {
        /** Admitted: its pass is given back (or had lapsed already). */
        ADMITTED(1),
        /** Not admitted yet: its place is marked, its pass lapses when issued. */
        WAITING(2),
        /** Its pass was spent (bought, or a buy being confirmed): nothing given back. */
        SPENT(-1),
        /** The user has no place in the room. */
        NOT_IN_ROOM(-2);

        public final int code;

        Leave(int code) {
            this.code = code;
        }

        /** The answer of number {@code code}. */
        public static Leave of(long code) {
            for (Leave leave : values()) {
                if (leave.code == code) {
                    return leave;
                }
            }
            throw new IllegalArgumentException("no leave answer " + code);
        }
    }

    /** A waiting buyer who left: its place's score in the passes until its turn ({@code LEFT_MARK} in names.lua). */
    public static final long LEFT_MARK = -2;
    /** A pass handed back: due, it lapses at the next admission step ({@code HANDED_BACK} in names.lua). */
    public static final long HANDED_BACK = 1;

    public boolean refused() {
        return refusal != null;
    }

    /** Value {@code i} as a number. */
    public long number(int i) {
        return (Long) values.get(i);
    }

    /** Value {@code i} as text. */
    public String text(int i) {
        return (String) values.get(i);
    }

    static RoomReply decode(Object raw) {
        List<?> flat = (List<?>) raw;
        if (flat.size() == 1) {
            int code = ((Long) flat.get(0)).intValue();
            for (Refusal refusal : Refusal.values()) {
                if (refusal.code == code) {
                    return new RoomReply(refusal, List.of());
                }
            }
            throw new IllegalArgumentException("no room refusal " + code);
        }
        return new RoomReply(null, new ArrayList<>(flat));
    }
}
