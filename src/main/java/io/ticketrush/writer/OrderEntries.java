package io.ticketrush.writer;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderEvent;
import io.ticketrush.order.OrderStream.Delivery;
import io.ticketrush.order.Payment;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Buyer;

/**
 * The writer's rules for an entry of an order stream: the fields the scripts write ({@link Keys})
 * made an {@link OrderEvent} the database can take, or a delivery that says what is wrong.
 */
public final class OrderEntries {
    private OrderEntries() {
    }

    /**
     * The one place a stream entry's fields become an event. Fields that make no event the
     * database can take are a delivery that says what is wrong, not an exception: one bad entry
     * must not stop the entries after it.
     */
    public static Delivery toDelivery(String sale, String streamId, Map<String, String> fields) {
        if (fields == null) {
            return new Delivery(sale, streamId, null, null, null);
        }
        try {
            return new Delivery(sale, streamId, fields, toEvent(sale, streamId, fields), null);
        } catch (MalformedEntry e) {
            return new Delivery(sale, streamId, fields, null, e.getMessage());
        }
    }

    private static OrderEvent toEvent(String sale, String streamId, Map<String, String> fields)
            throws MalformedEntry {
        String event = oneOf(fields, Keys.EVENT, EVENTS);
        long id = number(fields, Keys.ID);
        if (id <= 0) {
            throw new MalformedEntry(Keys.ID + " " + id + " is not an order number");
        }
        String user = fields.getOrDefault(Keys.USER, "");
        if (!user.isEmpty() && !Buyer.ID.matcher(user).matches()) {
            throw new MalformedEntry(Keys.USER + " '" + shown(user) + "' is not a user id");
        }
        long node = fields.containsKey(Keys.NODE) ? number(fields, Keys.NODE) : 0;
        if (node < 0 || node > Integer.MAX_VALUE) {
            throw new MalformedEntry(Keys.NODE + " " + node + " is not a port");
        }
        String payment = fields.get(Keys.PAYMENT_ID);
        if (payment != null && !Payment.ID.matcher(payment).matches()) {
            throw new MalformedEntry(Keys.PAYMENT_ID + " '" + shown(payment) + "' is not a payment id");
        }
        long amount = payment == null ? 0 : number(fields, Keys.AMOUNT);
        if (payment != null && amount <= 0) {
            throw new MalformedEntry(Keys.AMOUNT + " " + amount + " is not an amount");
        }
        if (OrderEvent.REFUND_DUE.equals(event) && payment == null) {
            throw new MalformedEntry("a " + event + " event without its " + Keys.PAYMENT_ID);
        }
        return new OrderEvent(streamId, sale, event, id, user.isEmpty() ? null : user, (int) node,
                number(fields, Keys.CREATED), number(fields, Keys.DEADLINE), oneOf(fields, Keys.STATE, STATES), payment,
                amount);
    }

    /** Event names the scripts write (a closing event is named after its state), and order states. */
    private static final Set<String> EVENTS = Set.of(Keys.CREATED_EVENT, Order.PAID, Order.EXPIRED, Order.VOIDED,
            Order.CANCELLED, OrderEvent.REFUND_DUE);
    private static final Set<String> STATES = Set.of(Order.PENDING, Order.PAID, Order.EXPIRED, Order.VOIDED,
            Order.CANCELLED);

    private static String required(Map<String, String> fields, String name) throws MalformedEntry {
        String value = fields.get(name);
        if (value == null) {
            throw new MalformedEntry(name + " is missing");
        }
        return value;
    }

    private static long number(Map<String, String> fields, String name) throws MalformedEntry {
        String value = required(fields, name);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new MalformedEntry(name + " '" + shown(value) + "' is not a number");
        }
    }

    private static String oneOf(Map<String, String> fields, String name, Set<String> allowed) throws MalformedEntry {
        String value = required(fields, name);
        if (!allowed.contains(value)) {
            throw new MalformedEntry(name + " '" + shown(value) + "' is none of " + new TreeSet<>(allowed));
        }
        return value;
    }

    /** A value as a reason quotes it: a stray megabyte is not repeated whole. */
    private static String shown(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "...";
    }

    /** What is wrong with an entry's fields; turned into a {@link Delivery} in {@link #toDelivery}. */
    private static final class MalformedEntry extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedEntry(String reason) {
            super(reason, null, false, false);
        }
    }

}
