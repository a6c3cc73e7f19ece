package io.ticketrush.archive;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;

import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.Sale;

/**
 * The order database as a node uses it. The order writer writes the orders; a node reads them (the
 * archiving's check, the orders of archived sales for {@code /order} and {@code /orders}) and writes
 * two tables of its own, never {@code orders}: {@code archived_sales}, a row for each sale it archived
 * (its id is never used again, also once its tombstone left Redis), and {@code late_payments}, money
 * a provider confirmed for an order of a sale already archived (owed back) (docs/archive.md). Both
 * are made at the first connection if absent. One connection, opened at the first use and again
 * after a failure (a database restart needs no node restart).
 */
public final class ArchivedOrders implements AutoCloseable {
    private static final String COLUMNS = "SELECT id, sale_id, user_id, node, created_at, deadline, state, payment_id"
            + " FROM orders ";
    private static final String[] SCHEMA = {"""
            CREATE TABLE IF NOT EXISTS archived_sales (
              id VARCHAR(32) PRIMARY KEY,
              archived_at BIGINT NOT NULL,
              total BIGINT NOT NULL,
              sold BIGINT NOT NULL,
              paid BIGINT NOT NULL,
              opens_at BIGINT NOT NULL,
              closes_at BIGINT NOT NULL,
              user_limit INT NOT NULL,
              pay_ms BIGINT NOT NULL,
              generation BIGINT NOT NULL,
              buyers VARCHAR(16) NOT NULL,
              name VARCHAR(200) NOT NULL
            )""", """
            CREATE TABLE IF NOT EXISTS late_payments (
              payment_id VARCHAR(80) PRIMARY KEY,
              event_id VARCHAR(64) NOT NULL,
              order_id BIGINT NOT NULL,
              sale_id VARCHAR(32) NOT NULL,
              amount BIGINT NOT NULL,
              received_at BIGINT NOT NULL
            )"""};
    private static final String SALE_COLUMNS = "SELECT id, archived_at, total, sold, paid, opens_at, closes_at,"
            + " user_limit, pay_ms, generation, buyers, name FROM archived_sales WHERE id = ?";
    /** A primary key taken (SQL's integrity constraint violation, class 23): the row is there already. */
    private static final String TAKEN = "23";

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

    /** Records that {@code archived} was archived, unless it is recorded already; true if this recorded it. */
    public synchronized boolean recordSale(ArchivedSale archived) throws SQLException {
        Sale sale = archived.sale();
        try {
            if (sale(sale.id()).isPresent()) {
                return false;
            }
            try (PreparedStatement insert = connection().prepareStatement("INSERT INTO archived_sales (id, archived_at,"
                    + " total, sold, paid, opens_at, closes_at, user_limit, pay_ms, generation, buyers, name)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, sale.id());
                insert.setLong(2, archived.archivedAt());
                insert.setLong(3, sale.total());
                insert.setLong(4, archived.sold());
                insert.setLong(5, archived.paid());
                insert.setLong(6, sale.opensAt());
                insert.setLong(7, sale.closesAt());
                insert.setInt(8, sale.perUserLimit());
                insert.setLong(9, sale.payWithinMillis());
                insert.setLong(10, sale.generation());
                insert.setString(11, sale.buyers());
                insert.setString(12, sale.name());
                insert.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (taken(e)) {
                    return false; // another node recorded it meanwhile
                }
                throw e;
            }
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    /** The archived sale {@code id} as the database recorded it, if it did. */
    public synchronized Optional<ArchivedSale> archivedSale(String id) throws SQLException {
        try {
            return sale(id);
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    private Optional<ArchivedSale> sale(String id) throws SQLException {
        try (PreparedStatement select = connection().prepareStatement(SALE_COLUMNS)) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                Sale sale = new Sale(row.getString(1), row.getString(12), row.getLong(3), row.getLong(6),
                        row.getLong(7), row.getInt(8), row.getLong(9), row.getLong(10), 0,
                        Sale.signedBuyers(row.getString(11)));
                return Optional.of(new ArchivedSale(sale, row.getLong(4), row.getLong(5), row.getLong(2)));
            }
        }
    }

    /** A payment the provider confirmed for an order of an archived sale: the money is owed back. */
    public record LatePayment(String paymentId, String eventId, long orderId, String sale, long amount, long receivedAt) {
    }

    /**
     * Records {@code late} unless its payment is recorded already; the payment as recorded (the first
     * event's, when it was), and whether this recorded it.
     */
    public synchronized Recorded recordLatePayment(LatePayment late) throws SQLException {
        try {
            Optional<LatePayment> first = latePayment(late.paymentId());
            if (first.isPresent()) {
                return new Recorded(first.get(), false);
            }
            try (PreparedStatement insert = connection().prepareStatement("INSERT INTO late_payments (payment_id,"
                    + " event_id, order_id, sale_id, amount, received_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, late.paymentId());
                insert.setString(2, late.eventId());
                insert.setLong(3, late.orderId());
                insert.setString(4, late.sale());
                insert.setLong(5, late.amount());
                insert.setLong(6, late.receivedAt());
                insert.executeUpdate();
                return new Recorded(late, true);
            } catch (SQLException e) {
                if (taken(e)) {
                    return new Recorded(latePayment(late.paymentId()).orElseThrow(() -> e), false);
                }
                throw e;
            }
        } catch (SQLException e) {
            drop();
            throw e;
        }
    }

    /** A late payment as recorded; {@code now}: by this call (else it was before). */
    public record Recorded(LatePayment payment, boolean now) {
    }

    private Optional<LatePayment> latePayment(String paymentId) throws SQLException {
        try (PreparedStatement select = connection().prepareStatement("SELECT payment_id, event_id, order_id, sale_id,"
                + " amount, received_at FROM late_payments WHERE payment_id = ?")) {
            select.setString(1, paymentId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new LatePayment(row.getString(1), row.getString(2), row.getLong(3),
                        row.getString(4), row.getLong(5), row.getLong(6))) : Optional.empty();
            }
        }
    }

    private static boolean taken(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith(TAKEN);
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
            try (Statement schema = connection.createStatement()) {
                for (String table : SCHEMA) {
                    schema.execute(table);
                }
            } catch (SQLException e) {
                drop();
                throw e;
            }
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
