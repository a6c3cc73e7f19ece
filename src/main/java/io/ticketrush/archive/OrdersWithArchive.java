package io.ticketrush.archive;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Logger;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.Payment;
import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.StockUnavailableException;

/**
 * The orders of the live sales (the store's) and of the archived ones (the database's), behind one
 * {@link OrderBook}: an order of an archived sale is found and listed as before, marked archived
 * (docs/archive.md). Only lookups reach the database; an archived order cannot be paid, cancelled or
 * expired (it is final), so everything else is the live book's. The database unreachable is a 503
 * ({@link StockUnavailableException}), never "no such order".
 */
public final class OrdersWithArchive implements OrderBook {
    private static final Logger LOG = Logger.getLogger(OrdersWithArchive.class.getName());
    private final OrderBook live;
    private final ArchivedOrders database;
    private final Function<String, Optional<ArchivedSale>> archived;

    /** @param archived the archived sale of an id (of a hot sale's bucket: its hot sale's), as the node last read the sales */
    public OrdersWithArchive(OrderBook live, ArchivedOrders database,
            Function<String, Optional<ArchivedSale>> archived) {
        this.live = live;
        this.database = database;
        this.archived = archived;
    }

    @Override
    public Optional<Order> find(String orderId) {
        Optional<Order> found = live.find(orderId);
        if (found.isPresent()) {
            return found;
        }
        long id;
        try {
            id = Long.parseLong(orderId);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return read(() -> database.find(id)).filter(this::ofArchivedSale).map(OrdersWithArchive::toOrder);
    }

    @Override
    public List<Order> ofUser(String user) {
        List<Order> all = new ArrayList<>(live.ofUser(user));
        read(() -> database.ofUser(user)).stream().filter(this::ofArchivedSale).map(OrdersWithArchive::toOrder)
                .forEach(all::add);
        all.sort(Comparator.comparingLong(Order::created).thenComparing(Order::id));
        return all;
    }

    @Override
    public List<Order> ofUser(String user, String sale) {
        if (archived.apply(sale).isEmpty()) {
            return live.ofUser(user, sale);
        }
        return read(() -> database.ofUser(sale, user)).stream().map(OrdersWithArchive::toOrder).toList();
    }

    private boolean ofArchivedSale(ArchivedOrder order) {
        return order.sale() != null && archived.apply(order.sale()).isPresent();
    }

    private static Order toOrder(ArchivedOrder o) {
        return new Order(String.valueOf(o.id()), o.sale(), o.user(), o.node(), o.created(), o.deadline(), o.state(), 0,
                true, true);
    }

    /** A database read that may fail. */
    @FunctionalInterface
    private interface Read<T> {
        T run() throws SQLException;
    }

    private <T> T read(Read<T> read) {
        try {
            return read.run();
        } catch (SQLException e) {
            throw new StockUnavailableException("the order database is unreachable: " + e.getMessage(), e);
        }
    }

    @Override
    public Payment.Started startPayment(String orderId, String user, long amount) {
        return live.startPayment(orderId, user, amount);
    }

    /**
     * The provider's word, as the live book takes it; for a payment of an archived sale (its payments
     * left the store: the live book knows no such payment) the money is not lost: if the order is the
     * sale's, in the database, the payment is recorded in {@code late_payments}, owed back, and
     * answered {@code REFUND_DUE} (the provider stops retrying); the same payment again is answered so
     * and recorded once. A payment that paid its order before the archive is {@code ALREADY_PAID}, one
     * recorded as owed back before it {@code REFUND_DUE}, nothing recorded again (docs/archive.md).
     */
    @Override
    public Payment.Confirmed confirmPayment(Payment.Notice notice, long keepEventMillis) {
        Payment.Confirmed confirmed = live.confirmPayment(notice, keepEventMillis);
        if (confirmed.outcome() != Payment.Confirmation.UNKNOWN) {
            return confirmed;
        }
        Optional<String> sale = Payment.saleOf(notice.paymentId());
        if (sale.isEmpty() || archived.apply(sale.get()).isEmpty()) {
            return confirmed;
        }
        long orderId;
        try {
            orderId = Long.parseLong(notice.orderId());
        } catch (NumberFormatException e) {
            return confirmed;
        }
        Optional<ArchivedOrder> order = read(() -> database.find(orderId));
        if (order.isEmpty() || !sale.get().equals(order.get().sale())) {
            return confirmed; // no order of that sale: no payment of ours
        }
        if (notice.paymentId().equals(order.get().paymentId())) {
            // settled before the archive: paid its order, or recorded as owed back by the writer
            return new Payment.Confirmed(Order.PAID.equals(order.get().state()) ? Payment.Confirmation.ALREADY_PAID
                    : Payment.Confirmation.REFUND_DUE, true);
        }
        ArchivedOrders.Recorded recorded = read(() -> database.recordLatePayment(new ArchivedOrders.LatePayment(
                notice.paymentId(), notice.eventId(), orderId, sale.get(), notice.amount(), System.currentTimeMillis())));
        if (recorded.payment().orderId() != orderId || recorded.payment().amount() != notice.amount()) {
            return new Payment.Confirmed(Payment.Confirmation.MISMATCH, false);
        }
        if (recorded.now()) {
            LOG.warning(() -> "late payment: payment " + notice.paymentId() + " of " + notice.amount() + " for order "
                    + orderId + " of sale " + sale.get() + ", archived already: recorded in late_payments, owed back"
                    + " (event " + notice.eventId() + ")");
        }
        return new Payment.Confirmed(Payment.Confirmation.REFUND_DUE, !recorded.now());
    }

    @Override
    public Optional<Payment> payment(String paymentId) {
        return live.payment(paymentId);
    }

    @Override
    public int expireDue(int max) {
        return live.expireDue(max);
    }

    @Override
    public Cancel cancel(String orderId, String user) {
        return live.cancel(orderId, user);
    }

    @Override
    public Counts counts(String sale) {
        return live.counts(sale);
    }
}
