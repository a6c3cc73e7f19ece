package io.ticketrush.archive;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;

import io.ticketrush.sale.Sale;

/**
 * The order database as a node reads it (the order writer writes it): the orders of a sale for the
 * archiving's check, and the orders of archived sales for {@code /order} and {@code /orders}. One
 * connection, opened at the first read and again after a failure (a database restart needs no node
 * restart).
 */
public final class ArchivedOrders implements AutoCloseable {
    private static final String COLUMNS = "SELECT id, sale_id, user_id, node, created_at, deadline, state, payment_id"
            + " FROM orders ";

    private final String url;
    private final String user;
    private final String password;
    private Connection connection; // guarded by this

    public ArchivedOrders(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** The states of the sale's orders in the database, by order id. */
    public synchronized Map<Long, String> states(String sale) throws SQLException {
        Map<Long, String> states = new HashMap<>();
        try (PreparedStatement select = connection().prepareStatement("SELECT id, state FROM orders WHERE sale_id = ?")) {
            select.setString(1, sale);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    states.put(rows.getLong(1), rows.getString(2));
                }
            }
        } catch (SQLException e) {
            drop();
            throw e;
        }
        return states;
    }

    /** Order {@code id}, if the database has it. */
    public synchronized Optional<ArchivedOrder> find(long id) throws SQLException {
        try (PreparedStatement select = connection().prepareStatement(COLUMNS + "WHERE id = ?")) {
            select.setLong(1, id);
            List<ArchivedOrder> found = read(select);
            return found.stream().findFirst();
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    /** The orders of {@code user} in every sale, oldest first. */
    public synchronized List<ArchivedOrder> ofUser(String user) throws SQLException {
        try (PreparedStatement select = connection().prepareStatement(COLUMNS
                + "WHERE user_id = ? ORDER BY created_at, id")) {
            select.setString(1, user);
            return read(select);
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    /** The orders of {@code user} in {@code sale} (a hot sale: in its buckets), oldest first. */
    public synchronized List<ArchivedOrder> ofUser(String sale, String user) throws SQLException {
        try (PreparedStatement select = connection().prepareStatement(COLUMNS
                + "WHERE (sale_id = ? OR sale_id LIKE ? ESCAPE '!') AND user_id = ? ORDER BY created_at, id")) {
            select.setString(1, sale);
            // its buckets' ids: the sale's, then "--" and the bucket (an id's '_' is no wildcard here)
            select.setString(2, sale.replace("!", "!!").replace("_", "!_").replace("%", "!%")
                    + Sale.BUCKET_SEPARATOR + "%");
            select.setString(3, user);
            return read(select);
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    private static List<ArchivedOrder> read(PreparedStatement select) throws SQLException {
        List<ArchivedOrder> orders = new ArrayList<>();
        try (ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                orders.add(new ArchivedOrder(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getInt(4),
                        rows.getLong(5), rows.getLong(6), rows.getString(7), rows.getString(8)));
            }
        }
        return orders;
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = driver().connect(url, credentials());
            if (connection == null) {
                throw new SQLException("no JDBC driver takes " + url);
            }
            connection.setReadOnly(true);
        }
        return connection;
    }

    /**
     * The driver of the URL, found with this class's loader: in a WAR the drivers are the webapp's,
     * which DriverManager (loaded by the JVM) does not see.
     */
    private Driver driver() throws SQLException {
        for (Driver driver : ServiceLoader.load(Driver.class, ArchivedOrders.class.getClassLoader())) {
            if (driver.acceptsURL(url)) {
                return driver;
            }
        }
        throw new SQLException("no JDBC driver takes " + url);
    }

    private Properties credentials() {
        Properties credentials = new Properties();
        if (user != null) {
            credentials.setProperty("user", user);
        }
        if (password != null) {
            credentials.setProperty("password", password);
        }
        return credentials;
    }

    private void drop() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // it failed already; the next read opens a new one
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        drop();
    }

    @Override
    public String toString() {
        return "the order database " + url;
    }
}
