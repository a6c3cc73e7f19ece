package io.ticketrush.redis.script;

import java.util.ArrayList;
import java.util.List;

/**
 * What a waiting room's script ({@code lua/queue_join.lua}, {@code lua/queue_admit.lua}) answered,
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
