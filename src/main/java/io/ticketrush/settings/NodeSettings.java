package io.ticketrush.settings;

import java.util.OptionalInt;
import java.util.function.UnaryOperator;

import io.ticketrush.sale.Sale;

/**
 * What a node needs to know, read once when the WAR starts and validated: its store's settings and
 * its own. A node reads no database or writer setting (the order writer does).
 *
 * @param store Redis, the breaker, the article's sale's key and terms
 * @param totalStock {@code rush.stock.total}: checked, then used by no node (a node sells what each sale in
 *     Redis holds; {@code ./rush} creates the article's sale with its own RUSH_STOCK_TOTAL)
 * @param nodeWeight {@code rush.node.weight}: this node's Nginx weight
 * @param totalWeight {@code rush.node.weights.total}: the sum of every node's weight
 * @param stockBuffer {@code rush.stock.buffer} if given: extra local stock (else a twentieth of each sale's total)
 * @param stockLocal {@code rush.stock.local} if given: the local stock of the article's sale (else its
 *     share by weight plus the buffer)
 * @param nodePort {@code rush.node.port}: the port the node reports; 0: the port a request came in on
 * @param statLogPath {@code rush.statlog}
 * @param lockWaitMillis {@code rush.lock.wait.ms}: wait for the stock lock, then busy
 * @param anonymousAllowed {@code rush.anonymous}: buying without a user id
 * @param syncMillis {@code rush.sync.ms}: period of the stock sync and of reading the sales again
 * @param sweepMillis {@code rush.sweep.ms}: period of the expiry sweep
 * @param admin the admin connector, its token and its audit log
 * @param pay the payment provider's secret, the demo provider, a ticket's price
 * @param auth who is buying: the token keys, the demo login, the public order ids' key
 * @param userRate the per-user rate of buys in sales with signed buyers
 * @param statLogMaxBytes {@code rush.statlog.max.kb} in bytes: stat.log is rotated before it grows past this
 * @param statLogKeep {@code rush.statlog.keep}: rotated stat.log files kept ({@code stat.log.1} the newest)
 * @param queue the queued sales' waiting rooms: their key, a pass's time, the join line, the admission step
 * @param shed how many buyers may wait for Redis at once before the next is shed (503 busy)
 * @param redisMaxMemory {@code rush.redis.maxmemory.bytes}: the memory limit ./rush gave Redis (each server's), in
 *     bytes; 0: not known (the dashboard and /metrics then show the use without a limit)
 * @param archive the archiving of finished sales: the retention, and the order database it reads
 */
public record NodeSettings(StoreSettings store, int totalStock, int nodeWeight, int totalWeight,
        OptionalInt stockBuffer, OptionalInt stockLocal, int nodePort, String statLogPath, int lockWaitMillis,
        boolean anonymousAllowed, int syncMillis, int sweepMillis, AdminSettings admin, PaySettings pay,
        AuthSettings auth, UserRateSettings userRate, long statLogMaxBytes, int statLogKeep, QueueSettings queue,
        ShedSettings shed, long redisMaxMemory, ArchiveSettings archive) {

    /**
     * Reads a node's settings: system properties, then the environment, then {@code contextParams}
     * (web.xml's), then the defaults. A secret never comes as a system property (see {@link Secrets}).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static NodeSettings load(UnaryOperator<String> contextParams) {
        Secrets.refuseCommandLine(System::getProperty);
        return from(SettingsReader.process(contextParams));
    }

    /**
     * Reads the settings from {@code source} alone (tests).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static NodeSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, NodeSettings::read);
    }

    /**
     * This node's local stock of {@code sale}: its weight's share of the sale's total plus the
     * buffer ({@code rush.stock.buffer} if given, else a twentieth of the total); for the
     * article's sale, {@code rush.stock.local} if given.
     */
    public int localStockFor(Sale sale) {
        if (stockLocal.isPresent() && Sale.DEFAULT.equals(sale.id())) {
            return stockLocal.getAsInt();
        }
        int total = (int) Math.min(Integer.MAX_VALUE, sale.total());
        int buffer = stockBuffer.orElse(total / 20);
        return (int) Math.min(Integer.MAX_VALUE, (long) total * nodeWeight / Math.max(totalWeight, 1) + buffer);
    }

    private static NodeSettings read(SettingsReader in) {
        StoreSettings store = StoreSettings.read(in);
        int totalWeight = totalWeight(in);
        return new NodeSettings(store, totalStock(in), nodeWeight(in, totalWeight), totalWeight, stockBuffer(in),
                stockLocal(in), nodePort(in), statLogPath(in), lockWaitMillis(in), anonymousAllowed(in),
                syncMillis(in), sweepMillis(in), AdminSettings.read(in), PaySettings.read(in), AuthSettings.read(in),
                UserRateSettings.read(in), statLogMaxBytes(in), statLogKeep(in), QueueSettings.read(in),
                ShedSettings.read(in), in.bytes("rush.redis.maxmemory.bytes"), ArchiveSettings.read(in));
    }

    private static int totalStock(SettingsReader in) {
        return in.number("rush.stock.total", 0, Integer.MAX_VALUE);
    }

    private static int nodeWeight(SettingsReader in, int totalWeight) {
        int weight = in.number("rush.node.weight", 1, 1000);
        if (weight > totalWeight) {
            in.problem("rush.node.weight=" + weight + " must not exceed rush.node.weights.total=" + totalWeight);
        }
        return weight;
    }

    private static int totalWeight(SettingsReader in) {
        return in.number("rush.node.weights.total", 1, 100_000);
    }

    private static OptionalInt stockBuffer(SettingsReader in) {
        return in.optionalNumber("rush.stock.buffer", 0, Integer.MAX_VALUE);
    }

    private static OptionalInt stockLocal(SettingsReader in) {
        return in.optionalNumber("rush.stock.local", 0, Integer.MAX_VALUE);
    }

    private static int nodePort(SettingsReader in) {
        return in.number("rush.node.port", 0, 65535);
    }

    private static String statLogPath(SettingsReader in) {
        return in.text("rush.statlog");
    }

    private static long statLogMaxBytes(SettingsReader in) {
        return 1024L * in.number("rush.statlog.max.kb", 1, 64 * 1024 * 1024);
    }

    private static int statLogKeep(SettingsReader in) {
        return in.number("rush.statlog.keep", 1, 1000);
    }

    private static int lockWaitMillis(SettingsReader in) {
        return in.number("rush.lock.wait.ms", 1, 60_000);
    }

    private static boolean anonymousAllowed(SettingsReader in) {
        return in.flag("rush.anonymous");
    }

    private static int syncMillis(SettingsReader in) {
        return in.number("rush.sync.ms", 10, 3_600_000);
    }

    private static int sweepMillis(SettingsReader in) {
        return in.number("rush.sweep.ms", 10, 3_600_000);
    }
}
