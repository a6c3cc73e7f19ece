package io.ticketrush.writer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive compares a sale's every row and answers a buyer's archived orders: those lookups must
 * use an index, not read the whole table (a soak's archive took 1.4 s at 400,000 rows without one).
 * H2's plan names the index it uses, or says {@code tableScan}.
 */
class OrderStoreIndexTest {
    @TempDir
    Path dir;

    @Test
    void a_sales_and_a_buyers_orders_are_found_by_index_not_by_reading_the_table() throws Exception {
        String url = "jdbc:h2:file:" + dir.resolve("orders");
        try (OrderStore store = new OrderStore(url, "sa", "")) {
            // opening the store makes the schema, indexes included
        }
        try (Connection connection = DriverManager.getConnection(url, "sa", "");
                Statement statement = connection.createStatement()) {
            assertUses(statement, "SELECT id, state FROM orders WHERE sale_id = 'S'", "ORDERS_BY_SALE");
            assertUses(statement, "SELECT id FROM orders WHERE sale_id = 'S' AND user_id = 'u'"
                    + " ORDER BY created_at, id", "ORDERS_BY_SALE");
            assertUses(statement, "SELECT id FROM orders WHERE user_id = 'u' ORDER BY created_at, id",
                    "ORDERS_BY_USER");
        }
    }

    private static void assertUses(Statement statement, String query, String index) throws Exception {
        try (ResultSet plan = statement.executeQuery("EXPLAIN " + query)) {
            assertTrue(plan.next(), "a plan for " + query);
            String text = plan.getString(1);
            assertTrue(text.contains(index) && !text.contains("tableScan"), query + " uses " + index + ": " + text);
        }
    }
}
