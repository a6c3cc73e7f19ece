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
     * Tickets taken out of {@code hot}'s buckets for others so far (it only grows): a check that
     * reads the buckets one after another reads this before and after, since tickets moved on
     * between its reads (given to one bucket after it was read, taken from another before it
     * was) are seen by none of them.
     */
    long taken(Sale hot);

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
        public long taken(Sale hot) {
            return 0;
        }
    };
}
