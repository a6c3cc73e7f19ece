package io.ticketrush.orders;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The order database, through plain JDBC: H2 (embedded, in PostgreSQL mode) or PostgreSQL,
 * with the same SQL. Every write is idempotent: the order id is the primary key, a created event
 * inserts only if absent, and paid/expired only move a pending order on.
 */
public final class OrderStore implements AutoCloseable {
    private static final String SCHEMA = """
            CREATE TABLE IF NOT EXISTS orders (
              id BIGINT PRIMARY KEY,
              user_id VARCHAR(64),
              node INT NOT NULL,
              created_at BIGINT NOT NULL,
              deadline BIGINT NOT NULL,
              state VARCHAR(16) NOT NULL,
              written_at BIGINT NOT NULL
            )""";
    private static final String INSERT = "INSERT INTO orders (id, user_id, node, created_at, deadline, state, written_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING";
    private static final String CLOSE = "UPDATE orders SET state = ? WHERE id = ? AND state = 'pending'";

    private final Connection connection;

    public OrderStore(String url, String user, String password) throws SQLException {
        this.connection = DriverManager.getConnection(withMode(url), user, password);
        try (Statement statement = connection.createStatement()) {
            statement.execute(SCHEMA);
        }
        connection.setAutoCommit(false);
        connection.commit();
    }

    /** H2 speaks PostgreSQL's {@code ON CONFLICT} only in its PostgreSQL mode. */
    static String withMode(String url) {
        if (url.startsWith("jdbc:h2:") && !url.toUpperCase().contains("MODE=")) {
            return url + ";MODE=PostgreSQL";
        }
        return url;
    }

    /** Applies a batch of events in one transaction; returns when it is committed. */
    public void apply(List<OrderEvent> events) throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement insert = connection.prepareStatement(INSERT);
                PreparedStatement close = connection.prepareStatement(CLOSE)) {
            for (OrderEvent event : events) {
                insert.setLong(1, event.orderId());
                insert.setString(2, event.user());
                insert.setInt(3, event.node());
                insert.setLong(4, event.created());
                insert.setLong(5, event.deadline());
                insert.setString(6, event.state());
                insert.setLong(7, now);
                insert.addBatch();
                if (!"pending".equals(event.state())) {
                    close.setString(1, event.state());
                    close.setLong(2, event.orderId());
                    close.addBatch();
                }
            }
            insert.executeBatch();
            close.executeBatch();
            connection.commit();
        } catch (SQLException e) {
            connection.rollback();
            throw e;
        }
    }

    public long count() throws SQLException {
        return queryLong("SELECT COUNT(*) FROM orders");
    }

    public long count(String state) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT COUNT(*) FROM orders WHERE state = ?")) {
            statement.setString(1, state);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                long n = rows.getLong(1);
                connection.commit();
                return n;
            }
        }
    }

    /** Empties the table (a fresh sale). */
    public void truncate() throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DELETE FROM orders");
        }
        connection.commit();
    }

    private long queryLong(String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            long n = rows.getLong(1);
            connection.commit();
            return n;
        }
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }
}
