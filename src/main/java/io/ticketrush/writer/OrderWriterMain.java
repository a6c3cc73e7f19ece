package io.ticketrush.writer;

import java.util.logging.Logger;

import io.ticketrush.order.OrderStream;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.settings.DatabaseSettings;
import io.ticketrush.settings.WriterSettings;
/**
 * The order writer process: {@code java -cp ... io.ticketrush.writer.OrderWriterMain [reset [SALE]]}.
 * Settings ({@link WriterSettings}: system properties, then environment): rush.redis.*, rush.stock.key,
 * rush.db.url, rush.db.user, rush.db.password, rush.writer.name, rush.writer.batch, rush.writer.claim.ms,
 * rush.stream.keep.ms.
 * {@code reset [SALE]} drops the orders of the sale (the default sale when none is named) and exits.
 */
public final class OrderWriterMain {
    private static final Logger LOG = Logger.getLogger(OrderWriterMain.class.getName());

    private OrderWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        WriterSettings settings = WriterSettings.load();
        DatabaseSettings database = settings.database();
        try (OrderStore store = new OrderStore(database.url(), database.user(), database.password())) {
            if (args.length > 0 && "reset".equals(args[0])) {
                String sale = args.length > 1 ? args[1] : "default";
                int dropped = store.truncate(sale);
                LOG.info("orders of sale " + sale + " dropped from " + database.url() + ": " + dropped);
                return;
            }
            try (OrderStream stream = RedisOrderStream.open(settings, OrderEntries::toDelivery)) {
                OrderWriter writer = new OrderWriter(stream, store, settings.name(), settings.batch(),
                        settings.claimMillis(), settings.streamKeepMillis());
                Thread loop = new Thread(writer, "order-writer");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    writer.stop();
                    try {
                        loop.join(10_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "order-writer-stop"));
                LOG.info("order writer " + settings.name() + " up: redis " + settings.redis().address()
                        + ", database " + database.url());
                loop.start();
                loop.join();
            }
        }
    }
}
