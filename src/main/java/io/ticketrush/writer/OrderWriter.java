package io.ticketrush.writer;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import io.ticketrush.duty.Duty;
import io.ticketrush.order.OrderEvent;
import io.ticketrush.order.OrderStream;

/**
 * Moves orders from the order stream into the order database, off the buy path.
 *
 * <p>It reads as one consumer of a consumer group, writes a batch in one transaction, and only
 * after the commit marks the orders {@code persisted} and acknowledges the entries. A crash
 * anywhere leaves the entries pending: a restarted writer of the same name reads its own
 * pending entries first, and any writer claims entries another has left idle for too long.
 * The database write is idempotent, so an entry written twice is still one row. An entry that
 * cannot be written (malformed, or its order id is another order's row) is acknowledged as a
 * dead letter, kept and counted, never retried.
 */
public final class OrderWriter implements Runnable {
    private static final Logger LOG = Logger.getLogger(OrderWriter.class.getName());
    private static final long FIRST_PAUSE_MILLIS = 100;
    private static final long LONGEST_PAUSE_MILLIS = 2000;
    /** How often the streams are trimmed of what is written, and the lag recorded. */
    private static final long TRIM_EVERY_MILLIS = 1000;

    private final OrderStream stream;
    private final OrderStore store;
    private final int batch;
    private final long claimIdleMillis;
    private final long keepMillis;
    private final String name;
    private final Duty duty;
    private volatile boolean running = true;
    private long lastClaim;
    private long lastTrim;

    /**
     * @param keepMillis how long a written event stays in its stream at least ({@code rush.stream.keep.ms}):
     *     the nodes' order feeds read it meanwhile
     */
    public OrderWriter(OrderStream stream, OrderStore store, String name, int batch, long claimIdleMillis,
            long keepMillis) {
        this.stream = stream;
        this.store = store;
        this.batch = batch;
        this.claimIdleMillis = claimIdleMillis;
        this.keepMillis = keepMillis;
        this.name = "order writer " + name;
        this.duty = new Duty(this.name, LOG);
    }

    /**
     * Rounds until stopped. A failed round (Redis down, the database down or restarting) is
     * logged once by the duty and tried again after a pause that doubles up to
     * {@link #LONGEST_PAUSE_MILLIS}: soon after a blip, without hammering a server that is down.
     * Its entries stay pending meanwhile (nothing is acknowledged before its batch is committed).
     */
    @Override
    public void run() {
        long pause = FIRST_PAUSE_MILLIS;
        while (running) {
            if (duty.run(this::step)) {
                pause = FIRST_PAUSE_MILLIS;
            } else {
                pause(pause);
                pause = Math.min(2 * pause, LONGEST_PAUSE_MILLIS);
            }
        }
    }

    /**
     * One round: our own pending entries, then entries other writers left idle, then new entries;
     * once a second, the streams trimmed of what is written.
     */
    void step() throws SQLException {
        stream.join();
        while (running && write(stream.ownPending(batch)) > 0) {
            // our own entries delivered before a crash: finish them first
        }
        long now = System.currentTimeMillis();
        if (now - lastClaim >= claimIdleMillis / 2) {
            lastClaim = now;
            while (running && write(stream.claimIdle(claimIdleMillis, batch)) > 0) {
                // a crashed writer's entries
            }
        }
        if (running) {
            write(stream.next(batch, 500));
        }
        now = System.currentTimeMillis();
        if (running && now - lastTrim >= TRIM_EVERY_MILLIS) {
            lastTrim = now;
            stream.trim(keepMillis);
        }
    }

    /**
     * Writes the entries to the database, then acknowledges them; how many. An entry that makes
     * no order event, or whose order id the database holds for another order, is set aside as a
     * dead letter: it holds up none of the others, and is never marked persisted.
     */
    private int write(List<OrderStream.Delivery> deliveries) throws SQLException {
        if (deliveries.isEmpty()) {
            return 0;
        }
        List<OrderEvent> events = new ArrayList<>(deliveries.size());
        for (OrderStream.Delivery delivery : deliveries) {
            if (delivery.event() != null) { // null: malformed, or deleted from the stream while pending
                events.add(delivery.event());
            }
        }
        Map<String, String> conflicts = new HashMap<>();
        if (!events.isEmpty()) {
            store.apply(events).forEach(conflict -> conflicts.put(conflict.event().streamId(), conflict.reason()));
        }
        List<OrderStream.DeadLetter> deadLetters = new ArrayList<>();
        for (OrderStream.Delivery delivery : deliveries) {
            String reason = delivery.malformed() != null ? "malformed: " + delivery.malformed()
                    : conflicts.get(delivery.id());
            if (reason != null) {
                deadLetters.add(new OrderStream.DeadLetter(delivery, reason));
            }
        }
        stream.acknowledge(deliveries, deadLetters, store.count());
        if (!deadLetters.isEmpty()) {
            OrderStream.DeadLetter first = deadLetters.get(0);
            LOG.warning(name + ": " + deadLetters.size() + (deadLetters.size() == 1 ? " entry" : " entries")
                    + " set aside as dead letters; the first, "
                    + first.delivery().id() + ", " + first.reason());
        }
        return deliveries.size();
    }

    /** Asks the loop to stop after the batch in hand. */
    public void stop() {
        running = false;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
