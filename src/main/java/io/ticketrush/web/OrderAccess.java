package io.ticketrush.web;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.Payment;
import io.ticketrush.sale.Sale;

/**
 * Which orders a request may see or pay, and the ids it sees them by (docs/identity.md):
 *
 * <ul>
 * <li>An order of a sale with signed buyers is its buyer's alone: shown, listed and paid only for a
 *     request whose token names that buyer; for anyone else it does not exist (404, never 403). Its
 *     id is public: the AES form of its number ({@link PublicOrderIds}), the only id it is found by.
 *     A public id asked for without a token is a 401, whether or not there is such an order.</li>
 * <li>An order of an open sale is as in the article: found by anyone who has its id, listed under
 *     the user its buyer named. Its id is its number, as Redis, the database, stat.log and the
 *     scripts have it; its public id finds it too.</li>
 * </ul>
 */
final class OrderAccess {
    private final OrderBook orders;
    private final Function<String, Sale> sales;
    private final PublicOrderIds ids;

    /** @param sales a sale by id (an order's sale is one the node knows) */
    OrderAccess(OrderBook orders, Function<String, Sale> sales, PublicOrderIds ids) {
        this.orders = orders;
        this.sales = sales;
        this.ids = ids;
    }

    /**
     * The order {@code given} (parameter {@code name}) names, if {@code who} may see it; empty: no
     * such order, as far as {@code who} may know (404).
     *
     * @throws BadRequestException it is missing or neither an order number nor a public id
     * @throws AccessDeniedException 401: a public id without a token, for an order that is not an open sale's
     */
    Optional<Order> find(Identity who, String given, String name) {
        if (given == null) {
            throw new BadRequestException(name + " is required");
        }
        boolean number = isNumber(given);
        if (!number && !PublicOrderIds.looksPublic(given)) {
            throw new BadRequestException(name + " must be an order id, as the buy answered it: an order number (up to"
                    + " 19 digits) or a public id (" + PublicOrderIds.LENGTH + " letters, digits, - and _)");
        }
        Optional<Order> order = (number ? Optional.of(given) : ids.toInternal(given)).flatMap(orders::find);
        if (order.isPresent() && !signed(order.get())) {
            return order; // an open sale's: anyone with its id, as in the article
        }
        if (number) {
            return Optional.empty(); // a signed sale's order is not found by its number
        }
        who.requireToken("order ids of sales with signed buyers are looked up with their buyer's token");
        return order.filter(o -> who.signedInAs(o.user()));
    }

    /** Of {@code found}, the orders {@code who} may see: those of open sales, and their own. */
    List<Order> visible(Identity who, List<Order> found) {
        return found.stream().filter(o -> !signed(o) || who.signedInAs(o.user())).toList();
    }

    /** The id an order is shown by: public for a sale with signed buyers, its number for an open sale. */
    String shownId(Sale sale, String orderId) {
        return sale.signed() ? ids.toPublic(orderId) : orderId;
    }

    /** The id {@code order} is shown by: public for a sale with signed buyers, its number for an open sale. */
    String shownId(Order order) {
        return shownId(sales.apply(order.sale()), order.id());
    }

    /** The id order {@code orderId}, of payment {@code paymentId}, is shown by (a payment's id names its sale). */
    String shownId(String paymentId, String orderId) {
        return shownId(sales.apply(Payment.saleOf(paymentId).orElseThrow()), orderId);
    }

    /**
     * The order number {@code given} names, as the payment provider may name an order: its number, or
     * its public id (what the answers named it by); empty if it is neither. No identity is asked: the
     * provider's word is authenticated by its signature, and the order it names is checked against
     * its payment's.
     */
    Optional<String> number(String given) {
        return isNumber(given) ? Optional.of(given) : ids.toInternal(given);
    }

    /** The JSON view of {@code order}, with the id it is shown by. */
    Map<String, Object> view(Order order, long now) {
        Map<String, Object> view = order.view(now);
        view.put("orderId", shownId(sales.apply(order.sale()), order.id()));
        return view;
    }

    private boolean signed(Order order) {
        return sales.apply(order.sale()).signed();
    }

    /** 1 to 19 digits, at most {@link Long#MAX_VALUE}: an internal order number. */
    private static boolean isNumber(String id) {
        return !id.isEmpty() && id.length() <= 19 && id.chars().allMatch(c -> c >= '0' && c <= '9')
                && (id.length() < 19 || id.compareTo(String.valueOf(Long.MAX_VALUE)) <= 0);
    }
}
