package io.ticketrush.redis.script;

import java.util.ArrayList;
import java.util.List;

import io.ticketrush.sale.Outcome;

/**
 * What {@code lua/buy.lua} (and, for one buyer, {@code lua/existing.lua}) answered, decoded in one
 * place: either the whole call refused, with a number ({@link #refusal}, {@link #at}), or what each
 * buyer was told, in order ({@link #told}). The numbers are those of {@code lua/lib/names.lua}'s
 * {@code CODE}; the outcomes' are {@link Outcome#code()}.
 */
public record BuyReply(Refusal refusal, long at, List<Told> told) {

    /** A whole call refused: nothing of it was written. */
    public enum Refusal {
        /** The sale has not opened yet; {@link #at}: when it opens. */
        NOT_OPEN(Outcome.NOT_OPEN.code()),
        /** The sale is closed; {@link #at}: when it closed. */
        CLOSED(Outcome.CLOSED.code()),
        /** Redis ran the call after the node's deadline for it. */
        TOO_LATE(-11),
        /** The node voided the call before Redis ran it. */
        VOIDED(-12),
        /** The sale has no order id base (made by a bare HMSET). */
        NO_ID_BASE(-13),
        /** The sale has used up its order numbers. */
        NUMBERS_USED_UP(-14),
        /** The sale was reset since the node read it; {@link #at}: the new generation. */
        RESET_SINCE(-15);

        final int code;

        Refusal(int code) {
            this.code = code;
        }
    }

    /** What one buyer was told. */
    public enum Code {
        TICKET(Outcome.TICKET.code()),
        EXISTING(Outcome.EXISTING.code()),
        SOLD_OUT(Outcome.SOLD_OUT.code()),
        /** The request's order expired unpaid. */
        EXPIRED(Outcome.EXPIRED.code()),
        /** A queued sale, and the buyer holds no pass that buys (none, lapsed, spent). */
        NOT_ADMITTED(Outcome.NOT_ADMITTED.code()),
        /** The buyer's order is being settled, or tickets held by unsettled calls may come back. */
        TRY_AGAIN(3),
        /** The buyer has no order (existing.lua only). */
        NO_ORDER(4),
        /** There is no such sale. */
        NO_SALE(-10);

        final int code;

        Code(int code) {
            this.code = code;
        }
    }

    /** One buyer's answer: {@code orderId} and {@code deadline} for TICKET, EXISTING, EXPIRED. */
    public record Told(Code code, String orderId, long deadline) {
    }

    public boolean refused() {
        return refusal != null;
    }

    /** Whether some buyer got {@code code}. */
    public boolean any(Code code) {
        return told.stream().anyMatch(t -> t.code() == code);
    }

    /** The buy script's reply: {code, n} for a refused call, else {code, id, deadline} per buyer, flat. */
    static BuyReply decode(Object raw) {
        List<?> flat = (List<?>) raw;
        if (flat.size() == 2) {
            return new BuyReply(refusal(((Long) flat.get(0)).intValue()), (Long) flat.get(1), List.of());
        }
        return new BuyReply(null, 0, decodeEach(flat));
    }

    /** {code, id, deadline} per buyer, flat: the existing script's reply, and the buy script's when not refused. */
    static List<Told> decodeEach(Object raw) {
        List<?> flat = (List<?>) raw;
        if (flat.size() % 3 != 0) {
            throw new IllegalArgumentException("not {code, id, deadline} per buyer");
        }
        List<Told> told = new ArrayList<>(flat.size() / 3);
        for (int i = 0; i < flat.size(); i += 3) {
            told.add(toldOf(flat.subList(i, i + 3)));
        }
        return List.copyOf(told);
    }

    private static Told toldOf(List<?> three) {
        Code code = code(((Long) three.get(0)).intValue());
        String id = (String) three.get(1);
        return new Told(code, id == null || id.isEmpty() ? null : id, three.get(2) == null ? 0 : (Long) three.get(2));
    }

    private static Refusal refusal(int code) {
        for (Refusal refusal : Refusal.values()) {
            if (refusal.code == code) {
                return refusal;
            }
        }
        throw new IllegalArgumentException("no refusal " + code);
    }

    private static Code code(int code) {
        for (Code c : Code.values()) {
            if (c.code == code) {
                return c;
            }
        }
        throw new IllegalArgumentException("no code " + code);
    }
}
