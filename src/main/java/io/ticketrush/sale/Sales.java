package io.ticketrush.sale;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The sales this node sells, by id: each one's definition as last read from the
 * {@link SaleCatalog}, and a {@link TicketSeller} once someone has bought from it. A sale nobody
 * buys costs this node its definition only (a few hundred bytes); its local stock is taken when
 * its first buyer comes, once it is open.
 *
 * <p>Sales change while the node runs: created, closed, reset. {@link #refresh} reloads them when
 * the catalog's version moved (the node's sync does, every {@code rush.sync.ms}); a buy that finds
 * its sale reset in Redis reloads at once and is tried again, so a reset needs no restart.
 */
public final class Sales implements AutoCloseable {

    /** The global stock of one sale. */
    @FunctionalInterface
    public interface Stocks {
        GlobalStock of(Sale sale);
    }

    /** Follows a sale's orders from the order stream, telling {@code events} (see {@link Winners}). */
    @FunctionalInterface
    public interface Follower {
        void follow(Sale sale, OrderListener events);
    }

    /** How long a sale id nobody has is remembered as such: requests for it cost no Redis call meanwhile. */
    private static final long UNKNOWN_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int UNKNOWN_KEPT = 10_000;

    private final SaleCatalog catalog;
    private final Stocks stocks;
    private final ToIntFunction<Sale> shares;
    private final Follower follower;
    private final long lockWaitMillis;
    private final Buckets buckets;
    private final Admission admission;
    /** Hot sales seen sold out in every bucket, with nothing moving between them: answered from memory. */
    private final Set<String> hotSoldOut = ConcurrentHashMap.newKeySet();
    /** Where this node's next anonymous buyer of a hot sale starts, so that they spread over the buckets. */
    private final AtomicInteger nextBucket = new AtomicInteger();
    private final BuyTimer timer = new BuyTimer();
    private final ConcurrentHashMap<String, TicketSeller> sellers = new ConcurrentHashMap<>();
    /** Sale ids asked for that have no sale, and until when (System.nanoTime) to believe it. */
    private final Map<String, Long> unknown = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > UNKNOWN_KEPT;
        }
    };
    private volatile Map<String, Sale> known = Map.of();
    /** Who else lets go of a sale's state when this node forgets it ({@link #onForget}). */
    private final List<Consumer<String>> forgotten = new CopyOnWriteArrayList<>();
    private volatile Map<String, ArchivedSale> archived = Map.of();
    private volatile Function<String, Optional<ArchivedSale>> archivedLongAgo = id -> Optional.empty();
    private long version = Long.MIN_VALUE; // guarded by this

    /**
     * @param shares this node's local stock of a sale: its weight's share plus the buffer
     */
    public Sales(SaleCatalog catalog, Stocks stocks, ToIntFunction<Sale> shares, Follower follower,
            long lockWaitMillis) {
        this(catalog, stocks, shares, follower, lockWaitMillis, Buckets.NONE);
    }

    /** @param buckets moves the stock of a hot sale between its buckets */
    public Sales(SaleCatalog catalog, Stocks stocks, ToIntFunction<Sale> shares, Follower follower,
            long lockWaitMillis, Buckets buckets) {
        this(catalog, stocks, shares, follower, lockWaitMillis, buckets, Admission.UNLIMITED);
    }

    /** @param admission how many buyers this node lets wait for Redis at once, over all its sales */
    public Sales(SaleCatalog catalog, Stocks stocks, ToIntFunction<Sale> shares, Follower follower,
            long lockWaitMillis, Buckets buckets, Admission admission) {
        this.admission = admission;
        this.buckets = buckets;
        this.catalog = catalog;
        this.stocks = stocks;
        this.shares = shares;
        this.follower = follower;
        this.lockWaitMillis = lockWaitMillis;
    }

    /**
     * Sells one ticket of {@code saleId} to {@code buyer}, answering {@code answer} (see
     * {@link Answer}) once: a purchase, or {@link UnknownSaleException} (no such sale),
     * {@link StockUnavailableException} (the global stock could not be used) or
     * {@link BusyException} (the node is too busy), for which nothing was sold.
     */
    public void buy(String saleId, Buyer buyer, int node, Answer answer) {
        new Attempt(saleId, buyer, node, answer).run();
    }

    /**
     * One buy, tried again where trying again is its answer: once with the sale read afresh when
     * it was reset since this node read it; and, while the lock wait lasts, every 1 to 8 ms when
     * the buyer's order is a moment from being settled (a round trip, normally). The retries run
     * on the {@link BuyTimer}; the buyer's thread was let go ({@link Answer#waiting}).
     */
    private final class Attempt implements Answer, Runnable {
        private final String saleId;
        private final Buyer buyer;
        private final int node;
        private final Answer answer;
        private final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lockWaitMillis);
        private final AtomicBoolean waited = new AtomicBoolean();
        private volatile boolean reread;
        private volatile long pauseMillis = 1;
        /** A hot sale's (null for others): the bucket asked now, buckets asked, refills asked for. */
        private volatile Sale hot;
        private volatile int bucket = -1;
        private volatile int asked;
        private volatile int refills;

        Attempt(String saleId, Buyer buyer, int node, Answer answer) {
            this.saleId = saleId;
            this.buyer = buyer;
            this.node = node;
            this.answer = answer;
        }

        @Override
        public void run() {
            TicketSeller seller;
            try {
                if (Sale.isBucket(saleId)) {
                    // a bucket is bought from through its hot sale only: the bucket is the buyer's, not theirs to pick
                    throw new UnknownSaleException(saleId);
                }
                Sale sale = sale(saleId);
                if (sale.bucketed()) {
                    hot = sale;
                    if (bucket < 0) {
                        bucket = firstBucket(sale, buyer);
                        asked = 1;
                    }
                    seller = seller(sale.bucketId(bucket));
                } else {
                    seller = seller(saleId);
                }
            } catch (RuntimeException e) {
                failed(e);
                return;
            }
            seller.buy(buyer, node, this);
        }

        /**
         * A hot sale's bucket told this buyer "sold out". A buyer free to go anywhere (anonymous,
         * without a request id) asks the next bucket; one bound to their bucket (named: the limit
         * and their orders live there; or a request id: its first answer does) gets tickets moved
         * in from the bucket with the most left, and asks again. "Sold out" only when no bucket
         * has any and none are moving: then, until a bucket sells again, from memory.
         */
        private boolean soldOutInBucket() {
            Sale sale = hot;
            if (hotSoldOut.contains(sale.id()) && everyBucketKnowsSoldOut(sale)) {
                return false;
            }
            boolean free = buyer.anonymous() && buyer.requestId() == null;
            if (free && asked < sale.buckets()) {
                asked++;
                bucket = (bucket + 1) % sale.buckets();
                run();
                return true;
            }
            if (refills < sale.buckets()) {
                refills++;
                if (buckets.refill(sale, bucket) > 0) {
                    seller(sale.bucketId(bucket)).sync(); // it saw its stock gone: it has some again
                    run();
                    return true;
                }
            }
            if (!buckets.soldOut(sale)) {
                // tickets moving, a call unsettled, or some arrived or came back (maybe into this
                // buyer's bucket, whose seller must learn it before the buyer asks again)
                seller(sale.bucketId(bucket)).sync();
                failed(new UnsettledException());
                return true;
            }
            // sold out at a moment just now: each bucket's seller learns it, and while all of them
            // know it, the sale's losers are answered from memory
            for (int b = 0; b < sale.buckets(); b++) {
                seller(sale.bucketId(b)).sync();
            }
            if (everyBucketKnowsSoldOut(sale)) {
                hotSoldOut.add(sale.id());
            }
            return false;
        }

        /** Whether this node's copy of the sale says it is closed now. */
        private boolean knownClosed() {
            Sale sale = known.get(saleId);
            return sale != null && sale.closed(now());
        }

        private boolean everyBucketKnowsSoldOut(Sale sale) {
            for (int b = 0; b < sale.buckets(); b++) {
                if (!seller(sale.bucketId(b)).knowsGlobalSoldOut()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void waiting() {
            if (waited.compareAndSet(false, true)) {
                answer.waiting();
            }
        }

        @Override
        public void bought(Purchase purchase) {
            if (purchase.outcome() == Outcome.CLOSED && !knownClosed()) {
                // Redis's clock found it closed where this node's copy did not: closed since the
                // node read it. Read the sales again if they changed (one GET when they did not),
                // so that the answer names the closing and later buyers are answered from memory.
                try {
                    refresh(false);
                } catch (RuntimeException e) {
                    answer.failed(e);
                    return;
                }
            }
            if (hot != null && purchase.outcome() == Outcome.SOLD_OUT) {
                boolean again;
                try {
                    again = soldOutInBucket();
                } catch (RuntimeException e) {
                    failed(e);
                    return;
                }
                if (again) {
                    return;
                }
            }
            answer.bought(purchase);
        }

        @Override
        public void failed(RuntimeException e) {
            if (e instanceof StaleSaleException && !reread) {
                // reset since this node read it: read it again and sell from the fresh one
                reread = true;
                try {
                    refresh(true);
                } catch (RuntimeException refreshFailed) {
                    answer.failed(refreshFailed);
                    return;
                }
                run();
            } else if (e instanceof UnsettledException && System.nanoTime() - deadline < 0) {
                waiting();
                long pause = pauseMillis;
                pauseMillis = Math.min(8, 2 * pause);
                refills = 0; // a hot sale's bucket may have tickets to move again by then
                timer.after(TimeUnit.MILLISECONDS.toNanos(pause), this);
            } else {
                answer.failed(e);
            }
        }
    }

    /**
     * The bucket of hot sale {@code sale} a buyer asks first: a named buyer's is fixed by their id
     * (their limit and orders live there), a request id's by the id (its first answer does), the
     * same on every node (String.hashCode is defined by the language); others spread in turn.
     */
    private int firstBucket(Sale sale, Buyer buyer) {
        if (!buyer.anonymous()) {
            return Math.floorMod(buyer.user().hashCode(), sale.buckets());
        }
        if (buyer.requestId() != null) {
            return Math.floorMod(buyer.requestId().hashCode(), sale.buckets());
        }
        return Math.floorMod(nextBucket.getAndIncrement(), sale.buckets());
    }

    /** {@link #buy(String, Buyer, int, Answer)}, waiting for the answer in this thread (tests and tools). */
    public Purchase buy(String saleId, Buyer buyer, int node) {
        Answer.Awaited answer = Answer.awaited();
        buy(saleId, buyer, node, answer);
        return answer.await();
    }

    /** The sale {@code id}, as last read, or read now if it was created since. */
    public Sale sale(String id) {
        Sale sale = known.get(id);
        return sale != null ? sale : load(id);
    }

    private Sale load(String id) {
        synchronized (unknown) {
            Long until = unknown.get(id);
            if (until != null && System.nanoTime() - until < 0) {
                throw new UnknownSaleException(id);
            }
        }
        Optional<Sale> found = catalog.find(id);
        if (found.isEmpty()) {
            synchronized (unknown) {
                unknown.put(id, System.nanoTime() + UNKNOWN_NANOS);
            }
            throw new UnknownSaleException(id);
        }
        synchronized (this) {
            Map<String, Sale> more = new HashMap<>(known);
            more.put(id, found.get());
            known = Map.copyOf(more);
        }
        return found.get();
    }

    /** The seller of sale {@code id}, made (with this node's share) when it is first asked for. */
    public TicketSeller seller(String id) {
        TicketSeller seller = sellers.get(id);
        return seller != null ? seller : sellers.computeIfAbsent(id, key -> newSeller(sale(key)));
    }

    private TicketSeller newSeller(Sale sale) {
        TicketSeller[] made = new TicketSeller[1];
        made[0] = new TicketSeller(sale, new LocalStock(shares.applyAsInt(sale)), stocks.of(sale), lockWaitMillis,
                catalog::now, timer, () -> follower.follow(sale, made[0]), admission);
        return made[0];
    }

    /** The seller of {@code id} if anyone has bought from it on this node. */
    public Optional<TicketSeller> existingSeller(String id) {
        return Optional.ofNullable(sellers.get(id));
    }

    public Collection<TicketSeller> sellers() {
        return sellers.values();
    }

    /**
     * Reads the sales again if the catalog says they changed (or {@code force}): new ones are
     * known, closed ones judged by their new end, a reset one gets a fresh seller.
     */
    public synchronized void refresh(boolean force) {
        long now = catalog.version();
        if (!force && now == version) {
            return;
        }
        Map<String, Sale> all = new HashMap<>();
        for (Sale sale : catalog.all()) {
            all.put(sale.id(), sale);
        }
        for (Map.Entry<String, TicketSeller> entry : sellers.entrySet()) {
            Sale fresh = all.get(entry.getKey());
            TicketSeller seller = entry.getValue();
            if (fresh == null) {
                continue; // gone from the store: its seller answers as it did, unless it was archived (below)
            }
            if (fresh.generation() != seller.sale().generation()) {
                sellers.put(entry.getKey(), newSeller(fresh));
            } else {
                seller.update(fresh);
            }
        }
        known = Map.copyOf(all);
        synchronized (unknown) {
            unknown.clear();
        }
        version = now;
        Map<String, ArchivedSale> before = archived;
        archived = catalog.archived();
        // newly archived (by this node or another), or still sold here: forgotten, also when this node only
        // answered reads of it (a /stock, a dashboard), which left state of it without a seller
        for (String id : archived.keySet()) {
            if (!before.containsKey(id) || sellers.containsKey(id)) {
                forget(id);
            }
        }
    }

    /**
     * The sale {@code id} if it was archived: as the node last read the sales, or, for a sale it
     * knows neither live nor archived (archived since by another node), as the store says now. For
     * a bucket of a hot sale, the hot sale if it was archived.
     */
    public Optional<ArchivedSale> archived(String id) {
        // a bucket no longer live: its orders are its hot sale's, archived or not (docs/archive.md)
        String sale = Sale.isBucket(id) && !known.containsKey(id) ? Sale.saleOf(id) : id;
        ArchivedSale gone = archived.get(sale);
        if (gone == null && !known.containsKey(sale)) {
            gone = catalog.archived().get(sale);
            if (gone == null) {
                return archivedLongAgo.apply(sale);
            }
        }
        return Optional.ofNullable(gone);
    }

    /**
     * Where a sale archived long ago is found once its tombstone left the store (the order database's
     * {@code archived_sales}, docs/archive.md); by default nowhere.
     */
    public void archivedLongAgo(Function<String, Optional<ArchivedSale>> lookup) {
        archivedLongAgo = lookup;
    }

    /** The archived sales, as the node last read the sales. */
    public Collection<ArchivedSale> archived() {
        return archived.values();
    }

    /**
     * Sale {@code id}, live or archived (an archived sale's orders are still shown by it).
     *
     * @throws UnknownSaleException it is neither
     */
    public Sale liveOrArchived(String id) {
        return archived(id).map(ArchivedSale::sale).orElseGet(() -> sale(id));
    }

    /**
     * Lets go of all this node keeps of sale {@code id}, which was archived (docs/archive.md): its
     * seller (local stock, buy line, the orders it remembers) and its definition; {@link #onForget}'s
     * listeners let go of the rest (the order feed, the waiting room's figures, the servlets' answers). A buy of it then
     * finds no such sale.
     */
    public synchronized void forget(String id) {
        // a hot sale's buckets (sales of their own here: sellers, order feeds) go with it
        String bucketOf = id + Sale.BUCKET_SEPARATOR;
        Set<String> buckets = new HashSet<>();
        sellers.keySet().stream().filter(s -> s.startsWith(bucketOf)).forEach(buckets::add);
        known.keySet().stream().filter(s -> s.startsWith(bucketOf)).forEach(buckets::add);
        for (String bucket : buckets) {
            forget(bucket);
        }
        sellers.remove(id);
        hotSoldOut.remove(id);
        if (known.containsKey(id)) {
            Map<String, Sale> fewer = new HashMap<>(known);
            fewer.remove(id);
            known = Map.copyOf(fewer);
        }
        for (Consumer<String> listener : forgotten) {
            listener.accept(id);
        }
    }

    /**
     * One more who lets go of a sale's state when this node forgets it ({@link #forget}): the node's
     * order feed and waiting rooms, the servlets' per-sale answers and reads.
     */
    public void onForget(Consumer<String> listener) {
        forgotten.add(listener);
    }

    /**
     * The periodic stock sync of every sale bought from on this node. A sale archived by another node
     * since this one last read the sales has no stock left in the store: it is forgotten here, not
     * reported as a failure. Any other failure is reported once every other sale has been synced.
     */
    public void sync() {
        StockUnavailableException failed = null;
        for (TicketSeller seller : sellers.values()) {
            try {
                seller.sync();
            } catch (StockUnavailableException e) {
                String id = seller.sale().id();
                if (archivedSince(id)) {
                    forget(id);
                } else if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    private boolean archivedSince(String id) {
        try {
            return catalog.archived().containsKey(id);
        } catch (StockUnavailableException e) {
            return false; // the store cannot say: the sync's own failure is reported
        }
    }

    /** Every sale this node knows of. */
    public List<Sale> all() {
        return List.copyOf(known.values());
    }

    /** The sales' clock now (ms since the epoch). */
    public long now() {
        return catalog.now();
    }

    /** Stops the buy path's timer: buyers still waiting for a retry are not answered. */
    @Override
    public void close() {
        timer.close();
    }
}
