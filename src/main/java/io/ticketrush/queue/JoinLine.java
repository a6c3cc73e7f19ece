package io.ticketrush.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.sale.Sale;

/**
 * The line in front of the waiting room's store, as {@code sale/BuyQueue} is in front of the buy:
 * joiners (and polls that need their place looked up) queue here, and one thread, the line's only
 * consumer, takes everyone queued as one batch and makes one store call per sale for all of them
 * (the single-writer pattern of the LMAX Disruptor's {@code BatchEventProcessor}). Its first joiner
 * waits up to the linger for company, so that under load a call carries hundreds of joins: a join
 * costs the store a small fraction of a call. A failed call fails each of its joiners.
 */
final class JoinLine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JoinLine.class.getName());

    /** The most joiners one store call carries: bounds the time one script keeps Redis busy. */
    static final int MAX_BATCH = 512;

    private record Waiting(Sale sale, QueueStore.Joiner joiner, CompletableFuture<Place> place) {
    }

    private final QueueStore store;
    private final long lingerNanos;
    private final LinkedBlockingQueue<Waiting> line = new LinkedBlockingQueue<>();
    private final Thread consumer;
    private volatile boolean closed;

    JoinLine(QueueStore store, long lingerMillis) {
        this.store = store;
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
        this.consumer = new Thread(this::consume, "rush-queue-line");
        consumer.setDaemon(true);
        consumer.start();
    }

    /** {@code joiner}'s place in {@code sale}'s room, once its batch's store call answered. */
    CompletableFuture<Place> place(Sale sale, QueueStore.Joiner joiner) {
        CompletableFuture<Place> place = new CompletableFuture<>();
        if (closed) {
            place.completeExceptionally(new IllegalStateException("the waiting room's line is closed"));
            return place;
        }
        line.add(new Waiting(sale, joiner, place));
        return place;
    }

    private void consume() {
        List<Waiting> batch = new ArrayList<>(MAX_BATCH);
        while (!closed) {
            try {
                batch.add(line.take());
                long until = System.nanoTime() + lingerNanos;
                while (batch.size() < MAX_BATCH) {
                    long left = until - System.nanoTime();
                    Waiting next = left > 0 ? line.poll(left, TimeUnit.NANOSECONDS) : line.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
            } catch (InterruptedException e) {
                break;
            }
            serve(batch);
            batch.clear();
        }
        for (Waiting left : line) {
            left.place().completeExceptionally(new IllegalStateException("the waiting room's line is closed"));
        }
    }

    /** One store call per sale of the batch, its joiners in the order they came. */
    private void serve(List<Waiting> batch) {
        Map<String, List<Waiting>> bySale = new LinkedHashMap<>();
        for (Waiting w : batch) {
            bySale.computeIfAbsent(w.sale().id() + "@" + w.sale().generation(), k -> new ArrayList<>()).add(w);
        }
        for (List<Waiting> joiners : bySale.values()) {
            try {
                List<QueueStore.Joiner> asked = new ArrayList<>(joiners.size());
                for (Waiting w : joiners) {
                    asked.add(w.joiner());
                }
                List<Place> places = store.join(joiners.get(0).sale(), asked);
                for (int i = 0; i < joiners.size(); i++) {
                    joiners.get(i).place().complete(places.get(i));
                }
            } catch (RuntimeException e) {
                if (!(e instanceof io.ticketrush.sale.Refusal)) {
                    LOG.log(Level.FINE, "a join call failed", e);
                }
                for (Waiting w : joiners) {
                    w.place().completeExceptionally(e);
                }
            }
        }
    }

    /** Joiners in line (for tests and the curious). */
    int queued() {
        return line.size();
    }

    @Override
    public void close() {
        closed = true;
        consumer.interrupt();
    }
}
