package io.ticketrush;

import java.nio.file.Path;
import java.time.Duration;
import java.util.logging.Logger;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;

/**
 * Wires one node when the WAR starts (listed in web.xml, so Jetty, Tomcat and the tests all
 * run this same code) and takes it down when the WAR stops.
 */
public final class RushApp implements ServletContextListener {
    private static final Logger LOG = Logger.getLogger(RushApp.class.getName());
    private static final String ATTRIBUTE = RushApp.class.getName();

    private Config config;
    private JedisPool pool;
    private StatLog statLog;
    private TicketSeller seller;

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
        pool = newPool(config);
        statLog = new StatLog(Path.of(config.statLogPath()));
        seller = new TicketSeller(new LocalStock(config.localStock()),
                new RedisGlobalStock(pool, config.stockKey()), config.lockWaitMillis());
        context.setAttribute(ATTRIBUTE, this);
        LOG.info(() -> "ticket-rush node up: weight " + config.nodeWeight() + "/" + config.totalWeight()
                + ", local stock " + config.localStock() + " (share " + config.weightShare() + " + buffer "
                + config.bufferStock() + "), redis " + config.redisHost() + ":" + config.redisPort()
                + ", stat log " + statLog.path());
    }

    static JedisPool newPool(Config config) {
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        poolConfig.setMaxTotal(config.redisPoolSize());
        poolConfig.setMaxIdle(config.redisPoolSize());
        poolConfig.setMinIdle(0);
        poolConfig.setBlockWhenExhausted(true);
        poolConfig.setMaxWait(Duration.ofMillis(config.redisPoolWaitMillis()));
        poolConfig.setTestOnBorrow(false);
        poolConfig.setJmxEnabled(false);
        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(config.redisTimeoutMillis())
                .socketTimeoutMillis(config.redisTimeoutMillis())
                .clientName("ticket-rush");
        if (config.redisPassword() != null) {
            client.password(config.redisPassword());
        }
        return new JedisPool(poolConfig, new HostAndPort(config.redisHost(), config.redisPort()), client.build());
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        event.getServletContext().removeAttribute(ATTRIBUTE);
        if (statLog != null) {
            statLog.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    public Config config() {
        return config;
    }

    public TicketSeller seller() {
        return seller;
    }

    public StatLog statLog() {
        return statLog;
    }

    /** For tooling that needs Redis directly (the stock endpoint's ping, tests). */
    Jedis redis() {
        return pool.getResource();
    }
}
