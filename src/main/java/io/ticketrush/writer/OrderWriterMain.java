package io.ticketrush.writer;

import java.util.logging.Logger;

import io.ticketrush.Config;
import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.orders.RedisOrderStream;

/**
 * The order writer process: {@code java -cp ... io.ticketrush.writer.OrderWriterMain [reset [SALE]]}.
 * Settings as for a node (system properties, then environment): rush.redis.*, rush.db.url,
 * rush.db.user, rush.db.password, rush.writer.name, rush.writer.batch, rush.writer.claim.ms.
 * {@code reset [SALE]} drops the orders of the sale (the default sale when none is named) and exits.
 */
public final class OrderWriterMain {
    private static final Logger LOG = Logger.getLogger(OrderWriterMain.class.getName());

    private OrderWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Config config = Config.load(name -> null);
        try (OrderStore store = new OrderStore(config.dbUrl(), config.dbUser(), config.dbPassword())) {
            if (args.length > 0 && "reset".equals(args[0])) {
                String sale = args.length > 1 ? args[1] : "default";
                int dropped = store.truncate(sale);
                LOG.info("orders of sale " + sale + " dropped from " + config.dbUrl() + ": " + dropped);
                return;
            }
            try (OrderStream stream = RedisOrderStream.open(config, OrderEntries::toDelivery)) {
                OrderWriter writer = new OrderWriter(stream, store, config.writerName(), config.writerBatch(),
                        config.writerClaimMillis());
                Thread loop = new Thread(writer, "order-writer");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    writer.stop();
                    try {
                        loop.join(10_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "order-writer-stop"));
                LOG.info("order writer " + config.writerName() + " up: redis " + config.redisAddress() + ", database "
                        + config.dbUrl());
                loop.start();
                loop.join();
            }
        }
    }
}
