package io.ticketrush.sale;

/**
 * The ticket store refused a write for memory (Redis past its {@code maxmemory}, {@code noeviction}):
 * it is up and answering, but full. Nothing was written, so nothing was sold; the buyer is told to
 * retry (503, as for a store out of reach), and selling resumes as soon as there is room
 * (docs/orders.md, "What Redis keeps").
 */
public final class StoreFullException extends StockUnavailableException {
    public StoreFullException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String shown() {
        return "busy, try again: the ticket store is full for now";
    }
}
