package io.ticketrush.archive;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

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

    @Override
    public Payment.Confirmed confirmPayment(Payment.Notice notice, long keepEventMillis) {
        return live.confirmPayment(notice, keepEventMillis);
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
