package io.ticketrush.tools;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.sales.SaleAdmin.OrderCounts;
import io.ticketrush.redis.sales.SaleAdmin;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Refusal;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.Standing;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;

/**
 * The sale tool the scripts run ({@code lib/common.sh}'s {@code sale_admin}):
 * {@code create-default TOTAL | reset [SALE] TOTAL | stock [SALE] | orders [SALE] | list}. Prints one
 * line the scripts read, or the list of sales for people; exits 1 when Redis cannot be reached, 2 for
 * a bad request, 3 for no such sale, 4 when the sale exists already.
 */
public final class SaleTool {
    /** Held here: java.util.logging keeps loggers only weakly, with the level set on them. */
    private static final Logger JEDIS_LOG = Logger.getLogger("redis.clients.jedis");

    private SaleTool() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            usage();
        }
        // the scripts read what this prints; Jedis's notes on finding the primary through the Sentinels are noise there
        JEDIS_LOG.setLevel(Level.WARNING);
        StoreSettings settings = StoreSettings.load();
        try (RedisStore store = RedisStore.open(settings)) {
            run(store, args);
        } catch (StockUnavailableException e) {
            System.err.println("error: " + e.getMessage() + " (redis " + settings.redis().address() + ")");
            System.exit(1);
        } catch (Refusal e) {
            System.err.println("error: " + e.getMessage());
            System.exit(e.status() == 409 ? 4 : 2); // 4: exists already
        }
    }

    private static void run(RedisStore store, String[] args) {
        SaleAdmin admin = store.admin();
        String sale = args.length == 3 || args.length == 2 && !"reset".equals(args[0]) ? args[1] : Sale.DEFAULT;
        switch (args[0]) {
            case "create-default" -> {
                boolean created = admin.createDefaultIfAbsent(total(args, 1));
                GlobalStock.Snapshot stock = admin.stock(Sale.DEFAULT).orElseThrow();
                System.out.println((created ? "created " : "continuing ") + stock.sold() + " " + stock.total());
            }
            case "reset" -> System.out.println(admin.reset(sale, total(args, args.length - 1)));
            case "stock" -> {
                Optional<GlobalStock.Snapshot> stock = admin.stock(sale);
                if (stock.isEmpty()) {
                    System.err.println("no sale " + sale);
                    System.exit(3);
                }
                System.out.println(stock.get().sold() + " " + stock.get().total());
            }
            case "orders" -> {
                OrderCounts orders = admin.orders(sale);
                System.out.println(orders.created() + " " + orders.inDatabase() + " " + orders.lastWrite());
            }
            case "list" -> list(store, System.out);
            default -> usage();
        }
    }

    /** Every sale, a line each, for people: {@code ./rush sale list}. */
    private static void list(RedisStore store, PrintStream out) {
        SaleCatalog catalog = store.catalog();
        long now = catalog.now();
        out.printf("%-32s %-9s %-7s %17s  %-24s %-24s %s%n", "SALE", "STATE", "BUYERS", "SOLD/TOTAL", "OPENS",
                "CLOSES", "NAME");
        for (Standing standing : catalog.standings()) {
            Sale sale = standing.sale();
            out.printf("%-32s %-9s %-7s %17s  %-24s %-24s %s%n", sale.id(), standing.state(now).name().toLowerCase(),
                    sale.buyers(), standing.sold() + "/" + sale.total(), Instant.ofEpochMilli(sale.opensAt()),
                    sale.closesAt() == 0 ? "-" : Instant.ofEpochMilli(sale.closesAt()), sale.name());
        }
        // the archived ones (docs/archive.md): their last figures; their orders are in the database
        catalog.archived().values().stream().sorted(Comparator.comparing(a -> a.sale().id())).forEach(archived -> {
            Sale sale = archived.sale();
            out.printf("%-32s %-9s %-7s %17s  %-24s %-24s %s%n", sale.id(), "archived", sale.buyers(),
                    archived.sold() + "/" + sale.total(), Instant.ofEpochMilli(sale.opensAt()),
                    sale.closesAt() == 0 ? "-" : Instant.ofEpochMilli(sale.closesAt()), sale.name());
        });
    }

    private static long total(String[] args, int at) {
        if (args.length <= at || !args[at].matches("[0-9]{1,10}")) {
            System.err.println(args[0] + " needs a whole number of tickets");
            System.exit(2);
        }
        return Long.parseLong(args[at]);
    }

    private static void usage() {
        System.err.println("usage: SaleTool create-default TOTAL | reset [SALE] TOTAL | stock [SALE] | orders [SALE]"
                + " | list");
        System.exit(2);
    }
}
