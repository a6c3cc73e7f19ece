package io.ticketrush.sale;

/**
 * Where the outcome of one buy goes: {@link #bought} or {@link #failed}, exactly once, from
 * whichever thread settles it. A buy answered from memory (sold out, not open) is answered in the
 * buyer's own thread before {@code buy} returns; a buy that joins the line for the next Redis
 * call is told {@link #waiting} first, in the buyer's thread, and answered later by the thread
 * that sold its batch: the buyer's thread need not wait for it.
 */
public interface Answer {

    /** The buyer joins a line: its thread may be let go until the answer comes (called at most once). */
    default void waiting() {
    }

    void bought(Purchase purchase);

    /**
     * Nothing was sold: {@link StockUnavailableException}, {@link BusyException},
     * {@link UnknownSaleException}, {@link InvalidInputException}, or a bug.
     */
    void failed(RuntimeException e);

    /** An answer to wait for in the calling thread (tests, tools, a container without async requests). */
    static Awaited awaited() {
        return new Awaited();
    }

    /** An {@link Answer} whose outcome {@link #await} returns, once given. */
    final class Awaited implements Answer {
        private final java.util.concurrent.CompletableFuture<Purchase> outcome =
                new java.util.concurrent.CompletableFuture<>();

        @Override
        public void bought(Purchase purchase) {
            outcome.complete(purchase);
        }

        @Override
        public void failed(RuntimeException e) {
            outcome.completeExceptionally(e);
        }

        /** The purchase, once given; the failure rethrown as it was. */
        public Purchase await() {
            try {
                return outcome.join();
            } catch (java.util.concurrent.CompletionException e) {
                throw e.getCause() instanceof RuntimeException failure ? failure : e;
            }
        }
    }
}
