package io.ticketrush.writer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The order database, through plain JDBC: H2 (embedded) or PostgreSQL, with the same SQL.
 * Every write is idempotent: the order id is the primary key, every event inserts its order
 * only if absent, and paid/expired only move a pending order on. (Two writers inserting the
 * same order at once make one batch fail on the key; it is rolled back and retried.)
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
    /** Insert-if-absent in SQL both databases speak (H2 has no ON CONFLICT (id)). */
    private static final String INSERT = "INSERT INTO orders (id, user_id, node, created_at, deadline, state, written_at)"
            + " SELECT CAST(? AS BIGINT), CAST(? AS VARCHAR(64)), CAST(? AS INT), CAST(? AS BIGINT),"
            + " CAST(? AS BIGINT), CAST(? AS VARCHAR(16)), CAST(? AS BIGINT)"
            + " WHERE NOT EXISTS (SELECT 1 FROM orders WHERE id = ?)";
    private static final String CLOSE = "UPDATE orders SET state = ? WHERE id = ? AND state = 'pending'";

    private final Connection connection;

    public OrderStore(String url, String user, String password) throws SQLException {
        this.connection = DriverManager.getConnection(durable(url), user, password);
        try (Statement statement = connection.createStatement()) {
            statement.execute(SCHEMA);
        }
        connection.setAutoCommit(false);
        connection.commit();
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
                insert.setLong(8, event.orderId());
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
