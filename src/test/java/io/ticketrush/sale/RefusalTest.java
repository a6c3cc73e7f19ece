package io.ticketrush.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Each refusal is answered with its own status and error, and a busy node's carry no stack trace. */
class RefusalTest {
    @Test
    void each_refusal_names_its_status_and_error() {
        record Expected(Refusal refusal, int status, String error) {
        }
        for (Expected e : List.of(new Expected(new BusyException("x"), 503, "busy"),
                new Expected(new UnsettledException(), 503, "busy"),
                new Expected(new StockUnavailableException("x"), 503, "unavailable"),
                new Expected(new StaleSaleException("x"), 503, "unavailable"),
                new Expected(new UnknownSaleException("G1"), 404, "unknown_sale"),
                new Expected(new InvalidInputException("x"), 400, "bad_request"),
                new Expected(new SaleExistsException("G1"), 409, "conflict"))) {
            assertEquals(e.status(), e.refusal().status(), e.refusal().getClass().getSimpleName());
            assertEquals(e.error(), e.refusal().error(), e.refusal().getClass().getSimpleName());
        }
    }

    @Test
    void a_busy_answer_costs_no_stack_trace() {
        assertEquals(0, new BusyException("x").getStackTrace().length);
        assertEquals(0, new UnsettledException().getStackTrace().length);
    }
}
