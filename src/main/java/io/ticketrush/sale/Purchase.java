package io.ticketrush.sale;

/** What a buyer got from this node. {@code localSales} is this node's count after the attempt. */
public record Purchase(Outcome outcome, String orderId, long deadline, int localSales) {

    public boolean gotTicket() {
        return outcome == Outcome.TICKET;
    }

    static Purchase of(Reservation reservation, int localSales) {
        return new Purchase(reservation.outcome(), reservation.orderId(), reservation.deadline(), localSales);
    }

    static Purchase soldOut(int localSales) {
        return new Purchase(Outcome.SOLD_OUT, null, 0, localSales);
    }

    /** Nothing to buy: {@code outcome} is SOLD_OUT, NOT_OPEN or CLOSED. */
    static Purchase none(Outcome outcome, int localSales) {
        return new Purchase(outcome, null, 0, localSales);
    }
}
