package io.ticketrush.support;

import io.ticketrush.sale.Sale;

/** The article's sale as a test of the buy step sells it: its time to pay and limit, any generation. */
public final class Terms {
    private Terms() {
    }

    public static Sale of(long payWithinMillis, int perUserLimit) {
        return new Sale(Sale.DEFAULT, "test", 0, 0, 0, perUserLimit, payWithinMillis, 0);
    }
}
