package io.ticketrush.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.sale.Sale;

/**
 * The line in front of the waiting room's store, as {@code sale/BuyQueue} is in front of the buy:
 * joiners (and polls that need their place looked up) queue here, and whoever finds the line's lock
 * free takes everyone queued so far as one batch and makes one store call per sale for all of them
 * (flat combining: the thread of a request serves, so an idle line costs no hand-over to another
 * thread). A batch is whoever queued while the previous call ran: idle, a join goes at once (no
 * added latency); under load each call carries more joins, so a join costs the store a fraction of
 * a call. The thread that made a call lets go of the lock before it completes the batch's places
 * (their answers may be made on it), while the next batch may already go.
 *
 * <p>A linger ({@code rush.queue.join.linger.ms}, 0 by default) makes the serving thread wait that
 * long for company before a batch: bigger batches, but every join that much slower, which a client
 * with a fixed number of connections pays in throughput. A failed call fails each of its joiners.
 */
final class JoinLine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JoinLine.class.getName());

    /** The most joiners one store call carries: bounds the time one script keeps Redis busy. */
    static final int MAX_BATCH = 512;

    private record Waiting(Sale sale, QueueStore.Joiner joiner, CompletableFuture<Place> place) {
    }

    /** A batch served: its joiners and, by index, their places or the failure of their call. */
    private record Served(List<Waiting> joiners, List<Place> places, RuntimeException failed) {
    }

    private final QueueStore store;
    private final long lingerNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Waiting> line = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    JoinLine(QueueStore store, long lingerMillis) {
        this.store = store;
        this.lingerNanos = TimeUnit.MILLISECONDS.toNanos(lingerMillis);
    }

    /**
     * {@code joiner}'s place in {@code sale}'s room, once its batch's store call answered. This
     * thread serves batches while the lock is free and joiners are in line (its own call among
     * them, or someone else's, who then finds its place done).
     */
    CompletableFuture<Place> place(Sale sale, QueueStore.Joiner joiner) {
        CompletableFuture<Place> place = new CompletableFuture<>();
        if (closed) {
            place.completeExceptionally(new IllegalStateException("the waiting room's line is closed"));
            return place;
        }
        line.add(new Waiting(sale, joiner, place));
        serve();
        return place;
    }

    /**
     * Serves batch after batch while joiners are in line and the lock is free. Whoever lets go of the
     * lock comes back here, so a joiner who found it taken is never left in line.
     */
    private void serve() {
        while (!line.isEmpty() && lock.tryLock()) {
            List<Served> served;
            try {
                if (lingerNanos > 0 && line.size() < MAX_BATCH) {
                    LockSupport.parkNanos(lingerNanos);
                }
                served = serveBatch();
            } finally {
                lock.unlock();
            }
            for (Served s : served) {
                for (int i = 0; i < s.joiners().size(); i++) {
                    CompletableFuture<Place> place = s.joiners().get(i).place();
                    if (s.failed() != null) {
                        place.completeExceptionally(s.failed());
                    } else {
                        place.complete(s.places().get(i));
                    }
                }
            }
        }
    }

    /** Under the lock: one store call per sale of the next batch, its joiners in the order they came. */
    private List<Served> serveBatch() {
        Map<String, List<Waiting>> bySale = new LinkedHashMap<>();
        int taken = 0;
        for (Waiting w = line.poll(); w != null; w = ++taken < MAX_BATCH ? line.poll() : null) {
            bySale.computeIfAbsent(w.sale().id() + "@" + w.sale().generation(), k -> new ArrayList<>()).add(w);
        }
        List<Served> served = new ArrayList<>(bySale.size());
        for (List<Waiting> joiners : bySale.values()) {
            try {
                List<QueueStore.Joiner> asked = new ArrayList<>(joiners.size());
                for (Waiting w : joiners) {
                    asked.add(w.joiner());
                }
                served.add(new Served(joiners, store.join(joiners.get(0).sale(), asked), null));
            } catch (RuntimeException e) {
                if (!(e instanceof io.ticketrush.sale.Refusal)) {
                    LOG.log(Level.FINE, "a join call failed", e);
                }
                served.add(new Served(joiners, null, e));
            }
        }
        return served;
    }

    /** Joiners in line whose batch has not started (for tests and the curious). */
    int queued() {
        return line.size();
    }

    @Override
    public void close() {
        closed = true;
    }
}
