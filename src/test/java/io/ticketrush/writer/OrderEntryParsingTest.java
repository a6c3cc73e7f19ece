package io.ticketrush.writer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;

import io.ticketrush.order.OrderEvent;
import io.ticketrush.order.OrderStream.Delivery;
import io.ticketrush.redis.keys.Keys;
import org.junit.jupiter.api.Test;

/** How an order stream entry becomes an event, or a delivery that says what is wrong with it. */
class OrderEntryParsingTest {
    private static final Map<String, String> GOOD = Map.of(Keys.EVENT, "created", Keys.ID, "7", Keys.USER, "ann",
            Keys.NODE, "3001", Keys.CREATED, "100", Keys.DEADLINE, "200", Keys.STATE, "pending");

    private static String malformed(String name, String value) {
        Map<String, String> fields = new HashMap<>(GOOD);
        if (value == null) {
            fields.remove(name);
        } else {
            fields.put(name, value);
        }
        Delivery delivery = OrderEntries.toDelivery("G1", "1-0", fields);
        assertNull(delivery.event(), delivery::toString);
        assertEquals(fields, delivery.fields(), "the fields as written, for the dead letter");
        return delivery.malformed();
    }

    @Test
    void an_entry_as_the_scripts_write_it_is_an_event() {
        Delivery delivery = OrderEntries.toDelivery("G1", "1-0", GOOD);
        assertEquals(new OrderEvent("1-0", "G1", "created", 7, "ann", 3001, 100, 200, "pending"), delivery.event());
        assertNull(delivery.malformed());
        Map<String, String> anonymous = new HashMap<>(GOOD);
        anonymous.put(Keys.USER, "");
        assertNull(OrderEntries.toDelivery("G1", "1-0", anonymous).event().user(), "anonymous: no user");
        Map<String, String> voided = new HashMap<>(GOOD);
        voided.put(Keys.EVENT, "voided");
        voided.put(Keys.STATE, "voided");
        voided.put(Keys.RID, "r1");
        assertEquals("voided", OrderEntries.toDelivery("G1", "1-0", voided).event().state(), "the VOID script's event");
    }

    @Test
    void a_paid_or_refund_due_entry_names_its_payment_and_amount() {
        String payment = "pay.G1.AAAAAAAAAAAAAAAAAAAAAA";
        Map<String, String> refund = new HashMap<>(GOOD);
        refund.put(Keys.EVENT, OrderEvent.REFUND_DUE);
        refund.put(Keys.STATE, "expired");
        refund.put(Keys.PAYMENT_ID, payment);
        refund.put(Keys.AMOUNT, "1000");
        assertEquals(new OrderEvent("1-0", "G1", OrderEvent.REFUND_DUE, 7, "ann", 3001, 100, 200, "expired", payment,
                1000), OrderEntries.toDelivery("G1", "1-0", refund).event());
        Map<String, String> withoutPayment = new HashMap<>(refund);
        withoutPayment.remove(Keys.PAYMENT_ID);
        withoutPayment.remove(Keys.AMOUNT);
        assertEquals("a refund_due event without its payment",
                OrderEntries.toDelivery("G1", "1-0", withoutPayment).malformed());
        Map<String, String> noAmount = new HashMap<>(refund);
        noAmount.remove(Keys.AMOUNT);
        assertEquals("amount is missing", OrderEntries.toDelivery("G1", "1-0", noAmount).malformed());
        Map<String, String> badPayment = new HashMap<>(refund);
        badPayment.put(Keys.PAYMENT_ID, "pay.G1.short");
        assertEquals("payment 'pay.G1.short' is not a payment id",
                OrderEntries.toDelivery("G1", "1-0", badPayment).malformed());
    }

    @Test
    void each_field_the_database_needs_is_checked_and_named() {
        assertEquals("id 'notanumber' is not a number", malformed(Keys.ID, "notanumber"));
        assertEquals("id 0 is not an order number", malformed(Keys.ID, "0"));
        assertEquals("deadline is missing", malformed(Keys.DEADLINE, null));
        assertEquals("created '12x' is not a number", malformed(Keys.CREATED, "12x"));
        assertEquals("node -1 is not a port", malformed(Keys.NODE, "-1"));
        assertEquals("state 'lost' is none of [cancelled, expired, paid, pending, voided]", malformed(Keys.STATE, "lost"));
        assertEquals("event is missing", malformed(Keys.EVENT, null));
        assertEquals("user 'a b' is not a user id", malformed(Keys.USER, "a b"));
        assertEquals("user '" + "u".repeat(40) + "...' is not a user id", malformed(Keys.USER, "u".repeat(65)));
    }

    @Test
    void an_entry_deleted_while_pending_has_no_fields_and_nothing_wrong() {
        Delivery deleted = OrderEntries.toDelivery("G1", "1-0", null);
        assertEquals(new Delivery("G1", "1-0", null, null, null), deleted);
    }
}
