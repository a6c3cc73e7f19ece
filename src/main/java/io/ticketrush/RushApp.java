package io.ticketrush;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.http.HttpServletRequest;
import redis.clients.jedis.JedisPool;

/**
 * Wires one node when the WAR starts (listed in web.xml, so Jetty, Tomcat and the tests all
 * run this same code) and takes it down when the WAR stops. Also runs the node's two
 * background duties: the stock sync and the expiry sweeper.
 */
public final class RushApp implements ServletContextListener {
    private static final Logger LOG = Logger.getLogger(RushApp.class.getName());
    private static final String ATTRIBUTE = RushApp.class.getName();
    private static final int SWEEP_BATCH = 500;

    private Config config;
    private JedisPool pool;
    private StatLog statLog;
    private TicketSeller seller;
    private OrderBook orders;
    private NodeStats stats;
    private StatsPublisher statsPublisher;
    private ClusterView cluster;
    private ScheduledExecutorService background;

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
        config = Config.load(context::getInitParameter);
        pool = RedisPools.open(config);
        statLog = new StatLog(Path.of(config.statLogPath()));
        RedisCalls redis = new RedisCalls(pool, new CircuitBreaker(config.breakerFailures(),
                config.breakerOpenMillis(), System::nanoTime));
        Keys keys = new Keys(config.stockKey());
        seller = new TicketSeller(new LocalStock(config.localStock()), new RedisGlobalStock(redis, keys), config);
        orders = new RedisOrderBook(redis, keys);
        stats = new NodeStats(config, seller);
        cluster = new ClusterView(redis, keys);
        statsPublisher = new StatsPublisher(redis, keys, stats);
        statsPublisher.start();
        background = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "rush-stock-sync");
            thread.setDaemon(true);
            return thread;
        });
        background.scheduleWithFixedDelay(quietly("stock sync", seller::sync), config.syncMillis(),
                config.syncMillis(), TimeUnit.MILLISECONDS);
        background.scheduleWithFixedDelay(quietly("expiry sweep", this::sweep), config.sweepMillis(),
                config.sweepMillis(), TimeUnit.MILLISECONDS);
        context.setAttribute(ATTRIBUTE, this);
        LOG.info(() -> "ticket-rush node up: weight " + config.nodeWeight() + "/" + config.totalWeight()
                + ", local stock " + config.localStock() + " (share " + config.weightShare() + " + buffer "
                + config.bufferStock() + "), redis " + config.redisHost() + ":" + config.redisPort()
                + ", stat log " + statLog.path());
    }

    /** Expires every order past its deadline, a batch at a time. */
    private void sweep() {
        while (orders.expireDue(SWEEP_BATCH) == SWEEP_BATCH) {
            // a full batch: more may be due
        }
    }

    /** Runs a background duty; a failure is logged once when it starts and once when it ends. */
    private static Runnable quietly(String what, Runnable duty) {
        // each duty has its own flag: one failing must not hide the other's recovery
        boolean[] failing = {false};
        return () -> {
            try {
                duty.run();
                if (failing[0]) {
                    failing[0] = false;
                    LOG.info(what + " works again");
                }
            } catch (RuntimeException e) {
                if (!failing[0]) {
                    failing[0] = true;
                    LOG.log(Level.WARNING, what + " failed (will keep retrying): " + e.getMessage());
                }
            }
        };
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
        if (stats != null) {
            stats.close();
        }
        if (statLog != null) {
            statLog.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    /** The port this node is known by: configured, else the port the request came in on. */
    int nodePort(HttpServletRequest request) {
        return config.nodePort() != 0 ? config.nodePort() : request.getLocalPort();
    }

    public Config config() {
        return config;
    }

    public TicketSeller seller() {
        return seller;
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

    /** The whole cluster as the dashboard shows it. */
    public ClusterView cluster() {
        return cluster;
    }
}
