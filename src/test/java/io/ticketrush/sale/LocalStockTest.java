package io.ticketrush.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LocalStockTest {

    @Test
    void a_stock_of_n_sells_exactly_n() {
        for (int n : new int[] {0, 1, 2, 145}) {
            LocalStock stock = new LocalStock(n);
            int sold = 0;
            while (stock.tryTake()) {
                sold++;
                if (sold > n + 1) {
                    break;
                }
            }
            assertEquals(n, sold, "a stock of " + n + " must sell exactly " + n);
            assertEquals(n, stock.sold());
            assertFalse(stock.hasStock());
            assertEquals(0, stock.remaining());
        }
    }

    @Test
    void a_given_back_ticket_can_be_sold_again() {
        LocalStock stock = new LocalStock(1);
        assertTrue(stock.tryTake());
        assertFalse(stock.hasStock());
        stock.giveBack();
        assertTrue(stock.hasStock());
        assertEquals(0, stock.sold());
        assertTrue(stock.tryTake());
    }

    @Test
    void giving_back_more_than_was_taken_is_a_bug() {
        assertThrows(IllegalStateException.class, () -> new LocalStock(3).giveBack());
    }

    @Test
    void closing_at_sold_ends_local_selling_without_changing_sales() {
        LocalStock stock = new LocalStock(10);
        stock.tryTake();
        stock.tryTake();
        stock.closeAtSold();
        assertFalse(stock.hasStock());
        assertFalse(stock.tryTake());
        assertEquals(2, stock.sold());
        assertEquals(2, stock.quota());
    }

    @Test
    void a_negative_stock_is_refused() {
        assertThrows(IllegalArgumentException.class, () -> new LocalStock(-1));
    }
}
