package io.ticketrush.node;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import io.ticketrush.archive.ArchivedOrders;
import io.ticketrush.archive.Archiver;
import io.ticketrush.archive.OrdersWithArchive;
import io.ticketrush.archive.TombstonePruner;
import io.ticketrush.auth.JoinPuzzle;
import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.auth.TokenIssuer;
import io.ticketrush.auth.TokenKeys;
import io.ticketrush.auth.TokenVerifier;
import io.ticketrush.duty.Duty;
import io.ticketrush.limit.UserRates;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.PaymentSignature;
import io.ticketrush.queue.QueueTokens;
import io.ticketrush.queue.WaitingRoom;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.sale.LocalStock;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleExistsException;
import io.ticketrush.sale.Sales;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.sale.TicketSeller;
import io.ticketrush.settings.ArchiveSettings;
import io.ticketrush.settings.AuthSettings;
import io.ticketrush.settings.ClockSkew;
import io.ticketrush.settings.NodeSettings;
import io.ticketrush.settings.QueueSettings;
import io.ticketrush.shed.NodeAdmission;
import io.ticketrush.statlog.StatLog;
import io.ticketrush.stats.ClusterView;
import io.ticketrush.stats.NodeStats;
import io.ticketrush.stats.StatsPublisher;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Wires one node when the WAR starts (listed in web.xml, so Jetty, Tomcat and the tests all
 * run this same code) and takes it down when the WAR stops. Also runs the node's two
 * background duties: the stock sync and the expiry sweep.
 */
public final class RushApp implements ServletContextListener {
    private static final Logger LOG = Logger.getLogger(RushApp.class.getName());
    private static final String ATTRIBUTE = RushApp.class.getName();
    /** How often buy calls whose answers were lost are voided, once Redis answers again. */
    private static final long UNCERTAIN_MILLIS = 100;
    /** How often a node reads Redis's memory (MEMORY STATS) for /metrics and the dashboard. */
    static final long REDIS_MEMORY_MILLIS = 1000;
    /** What the gauges of the default sale show until someone buys from it on this node. */
    private static final LocalStock NO_STOCK = new LocalStock(0);

    private NodeSettings settings;
    private RedisStore redis;
    private StatLog statLog;
    private Sales sales;
    private OrderBook orders;
    private NodeStats stats;
    private StatsPublisher statsPublisher;
    private ClusterView cluster;
    private ScheduledExecutorService background;
    private PaymentSignature paymentSignature;
    private TokenVerifier tokens;
    private TokenIssuer login;
    private PublicOrderIds orderIds;
    private UserRates userRates;
    private WaitingRoom queue;
    private JoinPuzzle puzzle;
    /** How many buyers may wait for Redis at once (rush.shed.limit, POST /admin/shed). */
    private NodeAdmission admission;
    private NodeAdmission roomAdmission;
    /** The buyers' order requests that wait for Redis (/pay, /order/cancel, /order, /orders): a bound of their own. */
    private NodeAdmission orderAdmission;
    /** The order database as this node reads it (archiving, archived orders); null without rush.archive.db.url. */
    private ArchivedOrders archivedOrders;

    /** The app of the WAR that {@code context} belongs to. */
    public static RushApp of(ServletContext context) {
        RushApp app = (RushApp) context.getAttribute(ATTRIBUTE);
        if (app == null) {
            throw new IllegalStateException("RushApp listener is not registered in web.xml");
        }
        return app;
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        settings = NodeSettings.load(context::getInitParameter);
        ClockSkew skew = ClockSkew.load(context::getInitParameter);
        wireIdentity(settings.auth());
        redis = RedisStore.open(settings.store());
        statLog = new StatLog(Path.of(settings.statLogPath()), settings.statLogMaxBytes(), settings.statLogKeep());
        userRates = settings.userRate().on() ? new UserRates(settings.userRate().perSecond(), settings.userRate().burst(),
                settings.userRate().users()) : null;
        // a sale seen sold out is followed on the order stream (who holds an order, tickets coming back)
        admission = new NodeAdmission(settings.shed());
        // the waiting rooms' joins and polls under a bound of their own, as large: a crowd polling
        // cannot shed the admitted buyers' buys, nor buys shed the room
        roomAdmission = new NodeAdmission(settings.shed());
        // paying, cancelling and reading orders under a third, as large: a buyer holding a ticket can
        // pay it while the crowd buys (or the order expires), and order reads cannot shed buys
        orderAdmission = new NodeAdmission(settings.shed());
        sales = new Sales(skew.applyTo(redis.catalog()), redis::stockOf, settings::localStockFor, redis::follow,
                settings.lockWaitMillis(), redis.buckets(settings.nodePort()), admission);
        orders = redis.orderBook(sales::all);
        // an archived sale's node state goes with it: its order feed, its waiting room's figures (docs/archive.md)
        sales.onForget(id -> {
            redis.unfollow(id);
            queue.forget(id);
        });
        archivedOrders = settings.archive().database()
                .map(db -> new ArchivedOrders(db.url(), db.user(), db.password())).orElse(null);
        if (archivedOrders != null) {
            orders = new OrdersWithArchive(orders, archivedOrders, sales::archived);
            // a sale whose tombstone left Redis is still archived: the database says so (docs/archive.md)
            sales.archivedLongAgo(id -> inDatabase(() -> archivedOrders.archivedSale(id)));
        }
        queue = waitingRoom(settings.queue());
        paymentSignature = settings.pay().on()
                ? new PaymentSignature(settings.pay().secret().getBytes(StandardCharsets.UTF_8)) : null;
        stats = new NodeStats(settings, () -> sales.existingSeller(Sale.DEFAULT).map(TicketSeller::local)
                .orElse(NO_STOCK));
        stats.countRedisRoundTrips(redis::roundTrips);
        stats.meterBuyCallsToVoid(redis::buyCallsToVoid);
        // each bound on /metrics by the paths it bounds: its limit, how many in flight, how many shed
        stats.meterAdmission("buy", admission, NodeAdmission::limit, NodeAdmission::inFlight, NodeAdmission::shed);
        stats.meterAdmission("room", roomAdmission, NodeAdmission::limit, NodeAdmission::inFlight, NodeAdmission::shed);
        stats.meterAdmission("orders", orderAdmission, NodeAdmission::limit, NodeAdmission::inFlight,
                NodeAdmission::shed);
        stats.meterBuyShed(admission, NodeAdmission::shed);
        if (redis.waitsForReplicas()) {
            stats.meterReplicaWaits(redis, r -> r.replicaWaitCounts().count(), r -> r.replicaWaitCounts().nanos(),
                    r -> r.replicaWaitCounts().timeouts());
        }
        // the dashboard reads on the operators' connections, never the buyers'
        cluster = new ClusterView(redis.operatorStats(sales::all), stats::redisMemory);
        statsPublisher = new StatsPublisher(redis.stats(sales::all), stats);
        statsPublisher.start();
        background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rush-stock-sync");
            thread.setDaemon(true);
            return thread;
        });
        Duty loading = new Duty("loading the sales", LOG);
        if (loading.run(this::loadSales)) {
            LOG.info(() -> "sales: " + sales.all().stream().map(Sale::id).sorted().toList());
        }
        background.scheduleWithFixedDelay(loading.asRunnable(() -> sales.refresh(false)), settings.syncMillis(),
                settings.syncMillis(), TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(new Duty("stock sync", LOG).asRunnable(sales::sync), settings.syncMillis(),
                settings.syncMillis(), TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(new Duty("expiry sweep", LOG).asRunnable(orders::expireAllDue),
                settings.sweepMillis(), settings.sweepMillis(), TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(new Duty("waiting rooms' admission", LOG).asRunnable(
                () -> queue.admitAll(sales.all())), 0, settings.queue().admitMillis(), TimeUnit.MILLISECONDS);
        if (archivedOrders != null) {
            // one node at a time archives (a lease in Redis); the sale goes only once the database has its orders
            ArchiveSettings archive = settings.archive();
            TombstonePruner tombstones = new TombstonePruner(redis.archive(), archivedOrders,
                    archive.tombstoneDays() * 86_400_000L);
            Archiver archiver = new Archiver(redis.archive(), archivedOrders, archive.retentionSeconds() * 1000L,
                    "node-" + settings.nodePort() + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime(),
                    3L * archive.periodMillis() + 1000, sales::forget, tombstones);
            background.scheduleWithFixedDelay(new Duty("archiving finished sales", LOG).asRunnable(archiver::archiveDue),
                    archive.periodMillis(), archive.periodMillis(), TimeUnit.MILLISECONDS);
        }
        // buyers answered 503 hold no ticket, also when Redis ran their call after all
        background.scheduleWithFixedDelay(new Duty("voiding buys answered 503", LOG).asRunnable(
                redis::settleUncertainBuys), UNCERTAIN_MILLIS, UNCERTAIN_MILLIS, TimeUnit.MILLISECONDS);
        // Redis's memory for /metrics and the dashboard: once a second on the operators' connections, never a
        // buyer's; a failed read shows as not known (NaN), not as the last figure
        background.scheduleWithFixedDelay(new Duty("reading Redis's memory", LOG).asRunnable(() -> {
            try {
                stats.redisMemoryUsed(redis.memoryUsed());
            } catch (RuntimeException e) {
                stats.redisMemoryUsed(-1);
                throw e;
            }
        }), 0, REDIS_MEMORY_MILLIS, TimeUnit.MILLISECONDS);
        context.setAttribute(ATTRIBUTE, this);
        LOG.info(() -> "ticket-rush node up: weight " + settings.nodeWeight() + "/" + settings.totalWeight()
                + " (a sale's local stock: its share by weight + a buffer), redis " + settings.store().redis().address()
                + (redis.waitsForReplicas() ? " (a buy is answered once a replica has it)" : "") + ", stat log "
                + statLog.path() + " (rotated past " + settings.statLogMaxBytes() / 1024 + " KiB, " + settings.statLogKeep()
                + " kept); a signed buyer's buys " + (userRates == null ? "not limited (rush.user.rate=0)"
                : "at most " + settings.userRate().perSecond() + "/s, " + settings.userRate().burst() + " at once, for up to "
                + userRates.capacity() + " buyers remembered") + "; admin " + (settings.admin().on() ? "on " + settings.admin().host() + ":"
                + settings.admin().port() + " only" + (settings.admin().token() == null ? " (no token: refused)" : "")
                : "off (rush.admin.port=0)") + "; payments " + (settings.pay().on() ? "on" : "off (no rush.pay.secret.file)")
                + (settings.pay().demo() ? ", demo provider on (/demo-pay/)" : "") + "; buyers waiting for Redis: "
                + admission + "; finished sales " + (archivedOrders == null ? "not archived by this node (no rush.archive.db.url)"
                : "archived " + settings.archive().retentionSeconds() + " s after they close, checked against "
                + archivedOrders));
    }

    /** Who is buying: the token keys and their verifier, the demo login if on, the public order ids. */
    private void wireIdentity(AuthSettings auth) {
        TokenKeys keys = TokenKeys.of(auth.keysFile().orElse(null), auth.jwksFile().orElse(null));
        tokens = new TokenVerifier(keys, auth.leewaySeconds(), Set.copyOf(auth.audiences()));
        login = auth.login() ? new TokenIssuer(keys) : null;
        orderIds = auth.orderKeyFile().map(PublicOrderIds::fromFile).orElseGet(() -> {
            LOG.warning("no rush.order.key.file: this node makes public order ids with a key of its own, which"
                    + " no other node knows (fine for a node alone; ./rush up gives every node run/order-key)");
            return PublicOrderIds.ofRandomKey();
        });
        LOG.info(() -> "who is buying: tokens verified with " + keys.describe() + ", leeway " + auth.leewaySeconds()
                + " s" + (auth.audiences().isEmpty() ? "" : ", audience " + auth.audiences())
                + (login != null ? "; the demo login POST /login is ON (it checks no password)" : ""));
    }

    /**
     * The queued sales' waiting rooms: tickets and passes signed with the room's key, the lottery
     * drawn from a SecureRandom (a place must not be guessable), times on the sales' clock.
     */
    private WaitingRoom waitingRoom(QueueSettings queueSettings) {
        byte[] key = queueSettings.keyFile().map(QueueTokens::readKey).orElseGet(() -> {
            LOG.warning("no rush.queue.key.file: this node signs queue tickets, passes and join puzzles with a key"
                    + " of its own, which no other node knows (fine for a node alone; ./rush up gives every node"
                    + " run/queue-key)");
            byte[] own = new byte[32];
            new SecureRandom().nextBytes(own);
            return own;
        });
        QueueTokens tokens;
        try {
            tokens = new QueueTokens(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rush.queue.key.file: " + e.getMessage(), e);
        }
        SecureRandom lottery = new SecureRandom();
        WaitingRoom room = new WaitingRoom(redis.queue(), tokens, sales::now, lottery::nextDouble,
                queueSettings.passTtlMillis(), queueSettings.lingerMillis(), queueSettings.admitMillis());
        // the join puzzle (docs/queue-puzzle.md): its key derived from the room's, its expiry on the sales' clock,
        // so any node checks any node's puzzle
        puzzle = new JoinPuzzle(key, sales::now);
        room.proofs(new JoinProofs(puzzle));
        return room;
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(ATTRIBUTE);
        if (background != null) {
            background.shutdownNow();
        }
        if (statsPublisher != null) {
            statsPublisher.close();
        }
        if (sales != null) {
            sales.close();
        }
        if (queue != null) {
            queue.close();
        }
        if (stats != null) {
            stats.close();
        }
        if (statLog != null) {
            statLog.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (archivedOrders != null) {
            archivedOrders.close();
        }
    }

    /** Reads the sales, and takes the default sale's local stock at once (it is open from the start). */
    private void loadSales() {
        sales.refresh(true);
        if (sales.all().stream().anyMatch(sale -> Sale.DEFAULT.equals(sale.id()))) {
            sales.seller(Sale.DEFAULT);
        }
    }

    /** The port this node is known by: configured, else the port the request came in on. */
    public int nodePort(HttpServletRequest request) {
        return settings.nodePort() != 0 ? settings.nodePort() : request.getLocalPort();
    }

    /** The payment provider's signature on its callbacks; null when no secret is configured (payments off). */
    public PaymentSignature paymentSignature() {
        return paymentSignature;
    }

    /** How many buyers may wait for Redis at once; an operator may change it ({@code POST /admin/shed}). */
    public NodeAdmission admission() {
        return admission;
    }

    /**
     * How many joins and polls of the waiting rooms this node answers at once (rush.shed.limit, as
     * many as {@link #admission()}; {@code POST /admin/shed} changes both); the excess is shed.
     */
    public NodeAdmission roomAdmission() {
        return roomAdmission;
    }

    /**
     * How many order requests that wait for Redis ({@code /pay}, {@code /order/cancel}, {@code /order},
     * {@code /orders}) this node answers at once (rush.shed.limit, as many as {@link #admission()};
     * {@code POST /admin/shed} changes all three bounds); the excess is shed, nothing done.
     */
    public NodeAdmission orderAdmission() {
        return orderAdmission;
    }

    public NodeSettings settings() {
        return settings;
    }

    public Sales sales() {
        return sales;
    }

    /**
     * Refuses sale {@code id} if the order database records it archived (its tombstone may have left
     * Redis; {@code SaleAdmin.create} checks Redis's): 409 {@code archived}. With a database configured
     * and unreachable, a 503: nothing is created that might reuse an archived sale's id.
     */
    public void refuseArchived(String id) {
        if (archivedOrders != null && inDatabase(() -> archivedOrders.archivedSale(id)).isPresent()) {
            throw SaleExistsException.archived(id);
        }
    }

    /** A read of the order database that may fail. */
    @FunctionalInterface
    private interface DatabaseRead<T> {
        T run() throws SQLException;
    }

    private static <T> T inDatabase(DatabaseRead<T> read) {
        try {
            return read.run();
        } catch (SQLException e) {
            throw new StockUnavailableException("the order database is unreachable: " + e.getMessage(), e);
        }
    }

    public RedisStore redis() {
        return redis;
    }

    public OrderBook orders() {
        return orders;
    }

    public StatLog statLog() {
        return statLog;
    }

    /** This node's counters (for /metrics and the dashboard). */
    public NodeStats stats() {
        return stats;
    }

    /** Verifies the bearer tokens of signed buyers. */
    public TokenVerifier tokens() {
        return tokens;
    }

    /** The demo login's token issuer, when {@code rush.auth.login} turns it on. */
    public Optional<TokenIssuer> login() {
        return Optional.ofNullable(login);
    }

    /** The per-user rate of buys in sales with signed buyers; null when {@code rush.user.rate} is 0. */
    public UserRates userRates() {
        return userRates;
    }

    /** The public order ids (the same on every node given the same {@code rush.order.key.file}). */
    public PublicOrderIds orderIds() {
        return orderIds;
    }

    /** The queued sales' waiting rooms (docs/queue.md). */
    public WaitingRoom queue() {
        return queue;
    }

    /** The join puzzle of queued sales with {@code pow} above 0 (docs/queue-puzzle.md). */
    public JoinPuzzle puzzle() {
        return puzzle;
    }

    /** The whole cluster as the dashboard shows it. */
    public ClusterView cluster() {
        return cluster;
    }
}
