package io.ticketrush.redis.keys;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ticketrush.sale.Sale;
import org.junit.jupiter.api.Test;

class OrderIdsTest {
    @Test
    void a_sale_of_the_most_tickets_and_a_reset_of_it_fit_the_order_numbers() {
        assertTrue(2 * Sale.MAX_TOTAL <= OrderIds.MAX_SEQ, Sale.MAX_TOTAL + " tickets twice within " + OrderIds.MAX_SEQ);
    }
}
