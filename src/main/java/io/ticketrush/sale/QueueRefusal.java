package io.ticketrush.sale;

/**
 * A queued sale's waiting room refused a request, nothing changed (docs/queue.md): a buy without a
 * pass of the buyer's own, a join without the puzzle's solution, a ticket that is not the buyer's,
 * a sale that has no room or is closed. Each kind says its status and error.
 */
public final class QueueRefusal extends Refusal {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String error;

    private final String reason;

    private QueueRefusal(int status, String error, String reason, String message) {
        super(message, null, false);
        this.status = status;
        this.error = error;
        this.reason = reason;
    }

    private QueueRefusal(int status, String error, String message) {
        this(status, error, null, message);
    }

    /** 403 {@code not_admitted}: a buy of a queued sale without a valid pass of the buyer's own. */
    public static QueueRefusal notAdmitted(String message) {
        return new QueueRefusal(403, "not_admitted", message);
    }

    /** 403 {@code proof_required}: a join without a valid solution of the sale's puzzle. */
    public static QueueRefusal proofRequired(String message) {
        return new QueueRefusal(403, "proof_required", message);
    }

    /**
     * 403 {@code proof_invalid} (400 when it is no proof at all: {@code malformed}): a join whose
     * proof does not let its buyer in, {@code reason} saying why (other_sale, other_user, expired, ...).
     */
    public static QueueRefusal proofInvalid(String reason, String message) {
        return new QueueRefusal("malformed".equals(reason) ? 400 : 403, "proof_invalid", reason, message);
    }

    /** 400 {@code bad_ticket}: a poll whose queue ticket is missing, forged, another's or of another sale. */
    public static QueueRefusal badTicket(String message) {
        return new QueueRefusal(400, "bad_ticket", message);
    }

    /** 409 {@code not_queued}: the sale has no waiting room. */
    public static QueueRefusal notQueued(String sale) {
        return new QueueRefusal(409, "not_queued", "sale " + sale + " has no waiting room: buy at /buy/ticket");
    }

    /** 409 {@code closed}: the sale is closed, its room with it. */
    public static QueueRefusal closed(String sale) {
        return new QueueRefusal(409, "closed", "sale " + sale + " is closed");
    }

    /** 409 {@code pass_spent}: a buyer whose pass bought cannot give the turn back (the order can be cancelled). */
    public static QueueRefusal passSpent(String sale) {
        return new QueueRefusal(409, "pass_spent", "your pass of sale " + sale + " bought: the turn cannot be given"
                + " back; cancel the order instead (POST /order/cancel?id=ORDER)");
    }

    /** 404 {@code not_in_room}: the buyer has no place in the sale's waiting room. */
    public static QueueRefusal notInRoom(String sale) {
        return new QueueRefusal(404, "not_in_room", "you have no place in the waiting room of sale " + sale);
    }

    @Override
    public int status() {
        return status;
    }

    @Override
    public String error() {
        return error;
    }

    @Override
    public String reason() {
        return reason;
    }
}
