package io.ticketrush.writer;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.ticketrush.order.OrderEvent;

/**
 * The order database, through plain JDBC: H2 (embedded) or PostgreSQL, with the same SQL.
 * Every write is idempotent: the order id is the primary key, an event inserts its order only
 * if the id is absent, and paid/expired only move a pending order on; a paid event records its
 * payment, a refund_due event its payment and the money owed back (the order's state stays). An id that is present is
 * compared first: a row of another order (another user, node or creation time: the id was
 * reused) is a conflict, handed back and never written over or skipped in silence. (Two writers
 * inserting the same order at once make one batch fail on the key; it is rolled back and
 * retried, and then finds the row.)
 *
 * <p>After the database restarts, the next call opens a new connection ({@link Database}).
 */
public final class OrderStore implements AutoCloseable {
    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS orders (
              id BIGINT PRIMARY KEY,
              sale_id VARCHAR(32),
              user_id VARCHAR(64),
              node INT NOT NULL,
              created_at BIGINT NOT NULL,
              deadline BIGINT NOT NULL,
              state VARCHAR(16) NOT NULL,
              written_at BIGINT NOT NULL,
              payment_id VARCHAR(80),
              refund_due BIGINT
            )""";
    /** A table made before sales had ids gets the column; its rows are the default sale's. */
    private static final String SALES = "ALTER TABLE orders ADD COLUMN IF NOT EXISTS sale_id VARCHAR(32)";
    /**
     * A table made before payments came from the provider gets their columns: the payment that paid
     * the order (or came too late for it), and the money owed back for an order that had expired or
     * was voided when its payment came (null: none).
     */
    private static final String[] PAYMENTS = {"ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_id VARCHAR(80)",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS refund_due BIGINT"};
    /**
     * What a sale's and a buyer's orders are looked up by: the archive compares a sale's every row
     * ({@code WHERE sale_id = ?}) and answers a buyer's ({@code WHERE sale_id = ? AND user_id = ?},
     * {@code WHERE user_id = ?}). Without them each lookup read the whole table: an archive took
     * 1.4 s at 400,000 rows, and longer with every sale (docs/archive.md).
     */
    static final String[] INDEXES = {"CREATE INDEX IF NOT EXISTS orders_by_sale ON orders (sale_id, user_id)",
        "CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id, created_at)"};
    /** Only for ids {@link #find} did not find. */
    private static final String INSERT = "INSERT INTO orders (id, sale_id, user_id, node, created_at, deadline, state,"
            + " written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String CLOSE = "UPDATE orders SET state = ? WHERE id = ? AND state = 'pending'";
    /** A paid event's payment. */
    private static final String PAID_BY = "UPDATE orders SET payment_id = ? WHERE id = ?";
    /** A refund_due event: the payment and its amount, owed back; the state stays. */
    private static final String REFUND = "UPDATE orders SET payment_id = ?, refund_due = ? WHERE id = ?";
    private static final String FIND = "SELECT id, sale_id, user_id, node, created_at FROM orders WHERE id IN ";
    /** What the default sale's rows hold (and, for rows written before sales had ids, nothing). */
    private static final String DEFAULT_SALE = "default";
    /** Ids per lookup: a batch may be larger than a statement may have parameters. */
    private static final int FIND_AT_MOST = 500;

    /** An event the database did not take, because its order id is another order's row there. */
    public record Conflict(OrderEvent event, String reason) {
    }

    /** What makes an order that order: an event of the same order says the same. */
    private record Identity(String sale, String user, int node, long created) {
        static Identity of(OrderEvent event) {
            return new Identity(event.sale(), event.user(), event.node(), event.created());
        }

        @Override
        public String toString() {
            return "sale " + sale + ", " + (user == null ? "no user" : "user " + user) + ", node " + node
                    + ", created " + created;
        }
    }

    private final Database database;

    /** Opens the database now (creating the table if missing), so a wrong URL or login fails at start. */
    public OrderStore(String url, String user, String password) throws SQLException {
        this.database = new Database(durable(url), user, password, connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute(SCHEMA);
                statement.execute(SALES);
                for (String column : PAYMENTS) {
                    statement.execute(column);
                }
                for (String index : INDEXES) {
                    statement.execute(index);
                }
                return null;
            }
        });
    }

    /**
     * H2 writes a commit to its file up to 500 ms later by default, so a killed writer would
     * lose commits it had already acknowledged in Redis; WRITE_DELAY=0 writes at each commit.
     */
    static String durable(String url) {
        if (url.startsWith("jdbc:h2:") && !url.toUpperCase().contains("WRITE_DELAY")) {
            return url + ";WRITE_DELAY=0";
        }
        return url;
    }

    /**
     * Applies a batch of events in one transaction; returns when it is committed, with the events
     * it left out because their order id is another order's (in the database, or earlier in the
     * batch), in batch order.
     */
    public List<Conflict> apply(List<OrderEvent> events) throws SQLException {
        long now = System.currentTimeMillis();
        return database.inTransaction(db -> {
            List<Conflict> conflicts = new ArrayList<>();
            Map<Long, Identity> known = find(db, events);
            try (PreparedStatement insert = db.prepareStatement(INSERT);
                    PreparedStatement close = db.prepareStatement(CLOSE);
                    PreparedStatement paidBy = db.prepareStatement(PAID_BY);
                    PreparedStatement refund = db.prepareStatement(REFUND)) {
                for (OrderEvent event : events) {
                    Identity row = known.get(event.orderId());
                    if (row == null) {
                        known.put(event.orderId(), Identity.of(event));
                        insert.setLong(1, event.orderId());
                        insert.setString(2, event.sale());
                        insert.setString(3, event.user());
                        insert.setInt(4, event.node());
                        insert.setLong(5, event.created());
                        insert.setLong(6, event.deadline());
                        insert.setString(7, event.state());
                        insert.setLong(8, now);
                        insert.addBatch();
                    } else if (!row.equals(Identity.of(event))) {
                        conflicts.add(new Conflict(event, "conflict: order " + event.orderId()
                                + " exists in the database as " + row + "; the event says " + Identity.of(event)));
                        continue;
                    }
                    if (!"pending".equals(event.state())) {
                        close.setString(1, event.state());
                        close.setLong(2, event.orderId());
                        close.addBatch();
                    }
                    if (OrderEvent.REFUND_DUE.equals(event.event())) {
                        refund.setString(1, event.payment());
                        refund.setLong(2, event.amount());
                        refund.setLong(3, event.orderId());
                        refund.addBatch();
                    } else if (event.payment() != null) {
                        paidBy.setString(1, event.payment());
                        paidBy.setLong(2, event.orderId());
                        paidBy.addBatch();
                    }
                }
                insert.executeBatch();
                close.executeBatch();
                paidBy.executeBatch();
                refund.executeBatch();
            }
            return conflicts;
        });
    }

    /** The rows the database has for the events' order ids. */
    private static Map<Long, Identity> find(Connection connection, List<OrderEvent> events) throws SQLException {
        List<Long> ids = events.stream().map(OrderEvent::orderId).distinct().toList();
        Map<Long, Identity> rows = new HashMap<>();
        for (int from = 0; from < ids.size(); from += FIND_AT_MOST) {
            List<Long> some = ids.subList(from, Math.min(ids.size(), from + FIND_AT_MOST));
            String sql = FIND + "(" + "?, ".repeat(some.size() - 1) + "?)";
            try (PreparedStatement select = connection.prepareStatement(sql)) {
                for (int i = 0; i < some.size(); i++) {
                    select.setLong(i + 1, some.get(i));
                }
                try (ResultSet found = select.executeQuery()) {
                    while (found.next()) {
                        String sale = found.getString(2);
                        rows.put(found.getLong(1), new Identity(sale == null ? DEFAULT_SALE : sale,
                                found.getString(3), found.getInt(4), found.getLong(5)));
                    }
                }
            }
        }
        return rows;
    }

    public long count() throws SQLException {
        return database.inTransaction(db -> {
            try (Statement statement = db.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM orders")) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    public long count(String state) throws SQLException {
        return database.inTransaction(db -> {
            try (PreparedStatement statement = db.prepareStatement("SELECT COUNT(*) FROM orders WHERE state = ?")) {
                statement.setString(1, state);
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            }
        });
    }

    /** The orders whose payment came after they had expired or were voided: money owed back. */
    public long refundsDue() throws SQLException {
        return database.inTransaction(db -> {
            try (Statement statement = db.createStatement();
                    ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM orders WHERE refund_due IS NOT NULL")) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    /** Drops the orders of sale {@code sale} (a fresh start of it); how many. */
    public int truncate(String sale) throws SQLException {
        return database.inTransaction(db -> {
            try (PreparedStatement statement = db.prepareStatement(DEFAULT_SALE.equals(sale)
                    ? "DELETE FROM orders WHERE sale_id = ? OR sale_id IS NULL" : "DELETE FROM orders WHERE sale_id = ?")) {
                statement.setString(1, sale);
                return statement.executeUpdate();
            }
        });
    }

    @Override
    public void close() throws SQLException {
        database.close();
    }
}
