package io.ticketrush.sale;

/**
 * The stock of a hot sale split into buckets ({@link Sale#buckets()}): each bucket sells from its
 * own stock, and unsold tickets move to a bucket whose buyers find it empty.
 */
public interface Buckets {

    /**
     * Moves unsold tickets of {@code hot} into its bucket {@code into} from the bucket with the
     * most left (half of what it has left); answers how many moved, 0 when no other bucket has any.
     *
     * @throws StockUnavailableException the move could not be made safe (it is finished later)
     */
    long refill(Sale hot, int into);

    /**
     * Tickets of {@code hot} between buckets now (taken from one, not yet given to the other);
     * transfers a node gave up on or died in are finished first. While any move, the sale is
     * not sold out.
     */
    long moving(Sale hot);

    /**
     * Whether at some moment during the call every bucket of {@code hot} had sold all its
     * tickets, with none moving between buckets and no buy call unsettled: its buyers may be told
     * "sold out". The buckets are read one after another, so one reading could miss a ticket on
     * its way between them; the answer is true only once two readings in a row found nothing
     * changed at all.
     */
    boolean soldOut(Sale hot);

    /** No buckets to move between (tests of one stock). */
    Buckets NONE = new Buckets() {
        @Override
        public long refill(Sale hot, int into) {
            return 0;
        }

        @Override
        public long moving(Sale hot) {
            return 0;
        }

        @Override
        public boolean soldOut(Sale hot) {
            return true;
        }
    };
}
