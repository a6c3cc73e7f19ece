package io.ticketrush.sale;

/** A sale and how far it has sold: a line of the list of sales. */
public record Standing(Sale sale, long sold) {

    public long remaining() {
        return Math.max(0, sale.total() - sold);
    }

    public Sale.State state(long now) {
        return sale.state(now, sold);
    }
}
