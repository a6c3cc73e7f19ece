package io.ticketrush.queue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.function.LongSupplier;
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
 * <p><b>The linger, before the opening only.</b> At the rates a node's CPU allows, a batch is one to
 * three joins. Before the opening that is needless: a join there is answered "waiting for the draw"
 * (its place is drawn at the opening), so waiting a little longer for its answer costs the buyer
 * nothing real. So the serving thread of a batch of joins that are all of sales opening later than
 * twice the linger ({@code rush.queue.join.linger.ms}) from their arrival waits for company first:
 * until the linger is over, {@link #LINGER_BATCH} joins are in line, or any join comes that is not
 * early (a sale open, or about to: a rank is answered, whose delay the buyer would pay). A node then
 * makes at most one call a linger before the opening, whatever the crowd: at 1,000 joins a second
 * over four nodes and 100 ms, 40 calls for 1,000 joins. After the opening nobody lingers. Either
 * way a joiner is answered only once its call answered, that is once Redis holds its place; a failed
 * call fails each of its joiners, none answered as placed.
 */
final class JoinLine implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(JoinLine.class.getName());

    /** The most joiners one store call carries: bounds the time one script keeps Redis busy. */
    static final int MAX_BATCH = 512;
    /** A lingering batch goes once this many joins are in line: 1/64 of a call a join at high rates. */
    static final int LINGER_BATCH = 64;

    /** @param early whether its sale opens later than twice the linger from its arrival (it may linger) */
    private record Waiting(Sale sale, QueueStore.Joiner joiner, boolean early, CompletableFuture<Place> place) {
    }

    /** A batch served: its joiners and, by index, their places or the failure of their call. */
    private record Served(List<Waiting> joiners, List<Place> places, RuntimeException failed) {
    }

    private final QueueStore store;
    private final LongSupplier clock;
    private final long lingerMillis;
    private final long lingerNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Waiting> line = new ConcurrentLinkedQueue<>();
    /**
     * Joiners in line, counted once added (so never more than the line holds, but for a moment
     * after the serving thread took one not yet counted: then less, which only lingers longer).
     */
    private final AtomicInteger queued = new AtomicInteger();
    /**
     * Joiners in line who may not linger, counted as {@link #queued} (for a moment one less; the
     * joiner whose count lags wakes the lingering thread once counted).
     */
    private final AtomicInteger urgent = new AtomicInteger();
    /** The thread lingering for company, if one is: a join that ends its linger wakes it. */
    private volatile Thread lingering;
    private volatile boolean closed;

    /**
     * @param clock the sales' clock, ms (whether a joiner's sale opens later than the linger)
     * @param lingerMillis how long a batch of early joins waits for company; 0: none
     */
    JoinLine(QueueStore store, LongSupplier clock, long lingerMillis) {
        this.store = store;
        this.clock = clock;
        this.lingerMillis = lingerMillis;
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
        boolean early = lingerMillis > 0 && sale.opensAt() - clock.getAsLong() > 2 * lingerMillis;
        line.add(new Waiting(sale, joiner, early, place));
        int inLine = queued.incrementAndGet();
        if (!early) {
            urgent.incrementAndGet();
        }
        Thread waiting = lingering;
        if (waiting != null && (!early || inLine >= LINGER_BATCH)) {
            LockSupport.unpark(waiting);
        }
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
                linger();
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

    /**
     * Under the lock: waits for company while every joiner in line is early, fewer than
     * {@link #LINGER_BATCH} are, and the linger is not over. A joiner that is not early, or the
     * {@link #LINGER_BATCH}th, wakes this thread ({@link #place}); it sets {@link #lingering} before
     * it reads the counts, a joiner counts itself before it reads {@link #lingering}: one of the two
     * sees the other.
     */
    private void linger() {
        if (lingerNanos == 0) {
            return;
        }
        long deadline = System.nanoTime() + lingerNanos;
        lingering = Thread.currentThread();
        try {
            long left;
            while (urgent.get() <= 0 && queued.get() < LINGER_BATCH && !closed
                    && !Thread.currentThread().isInterrupted() && (left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(this, left);
            }
        } finally {
            lingering = null;
        }
    }

    /** Under the lock: one store call per sale of the next batch, its joiners in the order they came. */
    private List<Served> serveBatch() {
        Map<String, List<Waiting>> bySale = new LinkedHashMap<>();
        int taken = 0;
        for (Waiting w = line.poll(); w != null; w = ++taken < MAX_BATCH ? line.poll() : null) {
            queued.decrementAndGet();
            if (!w.early()) {
                urgent.decrementAndGet();
            }
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

    /** Whether a thread lingers for company now (for tests). */
    boolean lingers() {
        return lingering != null;
    }

    /** Joiners in line whose batch has not started (for tests and the curious). */
    int queued() {
        return line.size();
    }

    @Override
    public void close() {
        closed = true;
        Thread waiting = lingering;
        if (waiting != null) {
            LockSupport.unpark(waiting);
        }
    }
}
