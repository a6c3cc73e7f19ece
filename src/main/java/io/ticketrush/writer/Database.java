package io.ticketrush.writer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The order writer's one JDBC connection, opened again after it is lost. A failure that leaves
 * the connection gone (the server restarted, the network broke) lets go of it, and the next
 * call opens a new one: the writer's loop retries with a pause, so the database comes back by
 * itself, without a writer restart. Used by one thread at a time (the writer's loop).
 */
final class Database implements AutoCloseable {
    /** How long a failed call may take to ask whether its connection still works. */
    private static final int VALID_SECONDS = 2;

    /** Work on the connection inside a transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final String url;
    private final String user;
    private final String password;
    private final Work<?> setUp;
    private Connection connection; // null once lost: the next call opens another

    /** Opens the database now, so a wrong URL or login fails at start; {@code setUp} runs on every connection opened. */
    Database(String url, String user, String password, Work<?> setUp) throws SQLException {
        this.url = url;
        this.user = user;
        this.password = password;
        this.setUp = setUp;
        this.connection = open();
    }

    private Connection open() throws SQLException {
        Connection opened = DriverManager.getConnection(url, user, password);
        try {
            opened.setAutoCommit(false);
            setUp.run(opened);
            opened.commit();
            return opened;
        } catch (SQLException e) {
            closeAfter(opened, e);
            throw e;
        }
    }

    /**
     * Runs {@code work} and commits it. On failure, rolls back; if the connection is gone, lets
     * go of it (the next call opens another); and throws the failure.
     */
    <T> T inTransaction(Work<T> work) throws SQLException {
        if (connection == null) {
            connection = open();
        }
        Connection used = connection;
        try {
            T result = work.run(used);
            used.commit();
            return result;
        } catch (SQLException e) {
            if (!rolledBack(used, e) || gone(used, e)) {
                connection = null;
                closeAfter(used, e);
            }
            throw e;
        }
    }

    private static boolean rolledBack(Connection used, SQLException failure) {
        try {
            used.rollback();
            return true;
        } catch (SQLException e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    /**
     * True if the connection cannot be used again: a connection exception (SQLState class 08),
     * or any failure after which the connection is closed or does not answer.
     */
    private static boolean gone(Connection used, SQLException failure) {
        if (failure.getSQLState() != null && failure.getSQLState().startsWith("08")) {
            return true;
        }
        try {
            return used.isClosed() || !used.isValid(VALID_SECONDS);
        } catch (SQLException e) {
            failure.addSuppressed(e);
            return true;
        }
    }

    private static void closeAfter(Connection used, SQLException failure) {
        try {
            used.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() throws SQLException {
        if (connection != null) {
            connection.close();
            connection = null;
        }
    }
}
