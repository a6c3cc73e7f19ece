package io.ticketrush.queue;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;

/**
 * A node's side of the queued sales' waiting rooms (docs/queue.md): joining, polling, the passes.
 *
 * <ul>
 * <li>A join goes through the {@link JoinLine} (one store call per batch) and answers the buyer's
 *     place with a signed queue ticket ({@link QueueTokens}).</li>
 * <li>A poll is answered from the ticket and this node's copy of the room's figures
 *     ({@link RoomView}), which the admission step refreshes once a {@code admitMillis}: no store
 *     call, whatever the load. Only a poll whose answer changed asks the store: the first after the
 *     opening (the lottery placed the buyer: their rank, through the line) and the first that finds
 *     the buyer admitted (their pass's time, remembered here while it lasts).</li>
 * <li>A buy of a queued sale needs a pass of the buyer's own ({@link #requirePass}): none, another
 *     buyer's or another sale's is refused here without a store call; the buy script spends it, and
 *     judges one past its time (the order it bought, or not admitted).</li>
 * </ul>
 *
 * <p>Times are on the sales' clock ({@code clock}, Redis's as the node reads it); the lottery's
 * scores come from {@code lottery}; both are injectable, so tests fix them.
 */
public final class WaitingRoom implements AutoCloseable {
    /** The polls of the lottery's places come back spread over this much after the opening. */
    static final long OPENING_SPREAD_MILLIS = 2_000;
    /** The longest a poll is told to wait (before the opening, far back in line). */
    static final long MOST_RETRY_MILLIS = 30_000;
    /** Polls a second at most: the frontier moves once a second. */
    static final long LEAST_RETRY_MILLIS = 1_000;
    /** Sold out, waitlisted, beyond the tickets' reach: the line moves only when a ticket comes back. */
    static final long WAITLIST_RETRY_MILLIS = 5_000;
    /**
     * The polls a second a room's places beyond every ticket's are spread to, at most (the whole
     * cluster's, all nodes'), where that asks for polls between {@link #WAITLIST_RETRY_MILLIS} and
     * {@link #FAR_MOST_RETRY_MILLIS} apart: a small room hears sold out within 5 s, a room of 100,000
     * within 50 s, and its 90,000 far places poll about 1,800 times a second, not 18,000.
     */
    static final long FAR_POLLS_PER_SECOND = 2_000;
    /** The longest a far place that two rounds of returns may reach is told to wait (a room of 120,000 and more). */
    static final long FAR_MOST_RETRY_MILLIS = 60_000;
    /** The longest any place is told to wait ({@link #beyondReachRetry}: a room of 1,200,000 and more). */
    static final long FAR_LONGEST_RETRY_MILLIS = 600_000;

    private record Cached(long generation, RoomView view, long readNanos) {
    }

    private final QueueStore store;
    private final QueueTokens tokens;
    private final LongSupplier clock;
    private final DoubleSupplier lottery;
    private final long passMillis;
    private final long admitMillis;
    private final JoinLine line;
    private volatile ProofCheck proofs = ProofCheck.UNAVAILABLE;
    private final Map<String, Cached> views = new ConcurrentHashMap<>();
    private final Map<String, Object> loading = new ConcurrentHashMap<>();
    /** Live passes looked up, by sale, generation and user: asking again costs no store call. */
    private final Map<String, QueueStore.PassRecord> passes = new ConcurrentHashMap<>();
    private final LongAdder storeCalls = new LongAdder();

    /**
     * @param clock the sales' clock, ms
     * @param lottery a new joiner's score before the opening, in [0, 1)
     * @param passMillis how long a pass buys ({@code rush.queue.pass.ttl.ms})
     * @param lingerMillis how long a batch of joins before the opening waits for company in the line
     *     ({@code rush.queue.join.linger.ms}; {@link JoinLine})
     * @param admitMillis how often the admission step runs ({@code rush.queue.admit.ms})
     */
    public WaitingRoom(QueueStore store, QueueTokens tokens, LongSupplier clock, DoubleSupplier lottery,
            long passMillis, long lingerMillis, long admitMillis) {
        this.store = counted(store);
        this.tokens = tokens;
        this.clock = clock;
        this.lottery = lottery;
        this.passMillis = passMillis;
        this.admitMillis = admitMillis;
        this.line = new JoinLine(this.store, clock, lingerMillis);
    }

    /** The store, each of its calls counted ({@link #storeCalls}). */
    private QueueStore counted(QueueStore inner) {
        return new QueueStore() {
            @Override
            public java.util.List<Place> join(Sale sale, java.util.List<Joiner> joiners) {
                storeCalls.increment();
                return inner.join(sale, joiners);
            }

            @Override
            public RoomView admit(Sale sale, long byClock, long passTtl) {
                storeCalls.increment();
                return inner.admit(sale, byClock, passTtl);
            }

            @Override
            public Optional<PassRecord> pass(Sale sale, String user) {
                storeCalls.increment();
                return inner.pass(sale, user);
            }

            @Override
            public Left leave(Sale sale, String user) {
                storeCalls.increment();
                return inner.leave(sale, user);
            }
        };
    }

    /** The puzzle's check for sales with one ({@link Sale#powBits} above 0); until one is installed, such joins are refused. */
    public void proofs(ProofCheck check) {
        this.proofs = check;
    }

    /**
     * Joins {@code user} to {@code sale}'s room (again: their place back), answered once their
     * batch's store call did, the answer made on {@code answering}.
     *
     * @throws QueueRefusal the sale has no room, is closed, or its puzzle was not solved (the {@link ProofCheck}'s refusal)
     */
    public CompletableFuture<QueueAnswer> join(Sale sale, String user, String proof, Executor answering) {
        long now = clock.getAsLong();
        requireRoom(sale, now);
        if (sale.powBits() > 0) {
            proofs.check(sale, user, proof);
        }
        return line.place(sale, new QueueStore.Joiner(user, lottery.getAsDouble()))
                .thenApplyAsync(place -> answer(sale, user, place, null, false), answering);
    }

    /**
     * Where the holder of queue ticket {@code ticket} stands: from the ticket and this node's figures
     * (no store call), but for the first poll after the opening of a lottery place (its rank,
     * through the line) and the first that finds the buyer admitted (their pass).
     *
     * @param waitlist the buyer asks to stay on the waitlist once sold out
     * @throws QueueRefusal no room, closed, or a ticket that is not {@code user}'s for this sale
     */
    public CompletableFuture<QueueAnswer> poll(Sale sale, String user, String ticket, boolean waitlist,
            Executor answering) {
        long now = clock.getAsLong();
        requireRoom(sale, now);
        if (ticket == null) {
            throw QueueRefusal.badTicket("send the queue ticket the join answered as X-Queue-Ticket");
        }
        QueueTokens.Ticket held = tokens.readTicket(ticket).orElseThrow(() -> QueueRefusal.badTicket(
                "the queue ticket is not one of this room's: join again (POST /queue/join?sale=" + sale.id() + ")"));
        if (!held.user().equals(user)) {
            throw QueueRefusal.badTicket("the queue ticket is another buyer's");
        }
        if (!held.sale().equals(sale.id()) || held.generation() != sale.generation()) {
            throw QueueRefusal.badTicket("the queue ticket is of another sale, or of this sale before it was reset:"
                    + " join again (POST /queue/join?sale=" + sale.id() + ")");
        }
        if (!held.place().ranked() && sale.opened(now)) {
            // the lottery is drawn: the place's rank, once, through the line (its answer carries a new ticket)
            return line.place(sale, new QueueStore.Joiner(user, lottery.getAsDouble()))
                    .thenApplyAsync(place -> answer(sale, user, place, null, waitlist), answering);
        }
        return CompletableFuture.completedFuture(answer(sale, user, held.place(), ticket, waitlist));
    }

    /**
     * Refuses anything of {@code sale}'s room (its puzzle too) unless the sale is queued and not closed.
     *
     * @throws QueueRefusal 409 not_queued or closed
     */
    public void requireRoom(Sale sale) {
        requireRoom(sale, clock.getAsLong());
    }

    private static void requireRoom(Sale sale, long now) {
        if (!sale.queued()) {
            throw QueueRefusal.notQueued(sale.id());
        }
        if (sale.closed(now)) {
            throw QueueRefusal.closed(sale.id());
        }
    }

    /**
     * Refuses a buy of queued sale {@code sale} unless {@code pass} (the {@code X-Queue-Pass} header)
     * is a pass of this room's key for {@code user}, this sale and run of it, not past its time. No
     * store call: the buy script checks the pass is still unspent, and spends it.
     *
     * @throws QueueRefusal 403 not_admitted
     */
    public void requirePass(Sale sale, String user, String pass) {
        if (pass == null) {
            throw QueueRefusal.notAdmitted("sale " + sale.id() + " sells to admitted buyers: join its waiting room"
                    + " (POST /queue/join?sale=" + sale.id() + ") and buy with your pass as X-Queue-Pass");
        }
        QueueTokens.Pass held = tokens.readPass(pass).orElseThrow(() -> QueueRefusal.notAdmitted(
                "the pass is not one of this room's"));
        if (!held.user().equals(user)) {
            throw QueueRefusal.notAdmitted("the pass is another buyer's");
        }
        if (!held.sale().equals(sale.id()) || held.generation() != sale.generation()) {
            throw QueueRefusal.notAdmitted("the pass is of another sale, or of this sale before it was reset");
        }
        // A pass of the buyer's own past its time goes on to the buy script, which answers the order
        // it bought (a buy sent again gets its first answer) or not_admitted (it lapsed unused): only
        // Redis knows which, and it judges the time on its own clock, as the sweep that returns the slot.
    }

    /** The answer for {@code user} at {@code place}; {@code ticket} their ticket if it holds that place, else null. */
    private QueueAnswer answer(Sale sale, String user, Place place, String ticket, boolean waitlist) {
        long now = clock.getAsLong();
        String holds = ticket != null ? ticket : tokens.ticket(sale, user, place);
        if (!place.ranked()) {
            long toOpening = Math.max(0, sale.opensAt() - now);
            long joined = view(sale).joined();
            return new QueueAnswer(QueueAnswer.State.WAITING, null, null, null,
                    beforeOpening(sale, user, place, toOpening, joined), holds, null, null, false, toOpening, joined);
        }
        RoomView view = view(sale);
        long rank = place.rank();
        if (rank <= view.admitted()) {
            return admitted(sale, user, holds, view, now);
        }
        long position = rank - view.admitted();
        if (rank <= Frontier.reach(sale, view)) {
            long eta = Math.max(0, Frontier.admittedAt(sale, view, rank) - now);
            long retry = Math.min(MOST_RETRY_MILLIS, Math.max(LEAST_RETRY_MILLIS, eta / 2));
            return new QueueAnswer(QueueAnswer.State.WAITING, position, position - 1, eta, retry, holds, null, null,
                    false, null, view.joined());
        }
        return beyondReach(sale, view, rank, position, holds, waitlist);
    }

    /**
     * When a place not ranked yet polls again: at its first poll after the opening (when its draw
     * comes up, {@link Frontier#firstPoll}: the room's first polls spread at about twice the
     * admission rate plus the far places' rate, not a million at once), or sooner, each poll at
     * most a while apart that spreads the room over {@link #FAR_POLLS_PER_SECOND} (at least
     * {@link #MOST_RETRY_MILLIS}). A ticket without its draw (one made before it was sealed) is
     * spread over {@link #OPENING_SPREAD_MILLIS} after the opening, as before.
     */
    private static long beforeOpening(Sale sale, String user, Place place, long toOpening, long joined) {
        double draw = place.score().isEmpty() ? Double.NaN : Double.parseDouble(place.score());
        long first = toOpening + (Double.isNaN(draw) ? Math.floorMod(user.hashCode(), OPENING_SPREAD_MILLIS)
                : Frontier.firstPoll(sale, draw, joined, FAR_POLLS_PER_SECOND));
        long most = Math.max(MOST_RETRY_MILLIS, joined * 1000 / FAR_POLLS_PER_SECOND);
        return Math.min(first, most);
    }

    /**
     * A place beyond what the clock gives out (the tickets plus lapsed and returned): it is admitted
     * only as turns ahead lapse or tickets come back (docs/queue.md, "Sold out, honestly"); the
     * {@code k}-th such place needs {@code k} of them. A ticket not sold yet is a turn that may lapse,
     * and the turn it passes to may lapse again: while any ticket is not sold, any place may still
     * get one, so the buyer is waiting. Sold out only once every ticket is sold: then only a ticket
     * that comes back (an unpaid order expiring or cancelled) moves the line. The polls come slower
     * the less likely the turn: 1 s for the next place to 5 s for the last that the tickets not sold
     * reach with one lapse each, then 5 s per lapse each must see first, at most the room's far
     * places' interval ({@link #FAR_POLLS_PER_SECOND}: 5 s to 60 s); sold out, 5 s for the next
     * place to that interval for the last that the unpaid orders reach, that interval beyond.
     */
    private QueueAnswer beyondReach(Sale sale, RoomView view, long rank, long position, String ticket,
            boolean waitlist) {
        long unsold = Math.max(0, view.total() - view.sold());
        long passesOut = view.passesOut();
        long unpaid = view.pending();
        long retry = beyondReachRetry(sale, view, rank, passMillis);
        if (unsold > 0) {
            return new QueueAnswer(QueueAnswer.State.WAITING, position, position - 1, null, retry, ticket, null, null,
                    false, null, view.joined(), passesOut, unpaid, false);
        }
        return new QueueAnswer(waitlist ? QueueAnswer.State.WAITLISTED : QueueAnswer.State.SOLD_OUT, position,
                position - 1, null, retry, ticket, null, null, false, null, view.joined(), passesOut, unpaid,
                unpaid == 0);
    }

    /**
     * When a place beyond the tickets' reach polls again ({@link #beyondReach}). A place further back
     * than two rounds of the line's movers (every unsold ticket's pass lapsing and every unpaid order
     * coming back, twice over) is at least a round from its turn per round beyond two, a round being
     * the shorter of a pass's time and the sale's time to pay: it may poll that far apart, up to the
     * room spread over {@link #FAR_POLLS_PER_SECOND} (at most {@link #FAR_LONGEST_RETRY_MILLIS}). So a
     * room of a million asks ~4,400 times a second while selling (the far places ~2,000 of it), not
     * the 18,400 that the 60 s bound alone allowed, while every place two rounds may reach keeps it.
     */
    static long beyondReachRetry(Sale sale, RoomView view, long rank, long passMillis) {
        long needed = rank - Frontier.reach(sale, view);
        long unsold = Math.max(0, view.total() - view.sold());
        long unpaid = view.pending();
        long spread = view.joined() * 1000 / FAR_POLLS_PER_SECOND;
        long far = Math.min(FAR_MOST_RETRY_MILLIS, Math.max(WAITLIST_RETRY_MILLIS, spread));
        long retry;
        if (unsold > 0) {
            retry = needed <= unsold
                    ? LEAST_RETRY_MILLIS + (WAITLIST_RETRY_MILLIS - LEAST_RETRY_MILLIS) * (needed - 1) / unsold
                    : Math.min(far, WAITLIST_RETRY_MILLIS * ((needed + unsold - 1) / unsold));
        } else {
            retry = needed <= unpaid ? WAITLIST_RETRY_MILLIS + (far - WAITLIST_RETRY_MILLIS) * (needed - 1) / unpaid
                    : far;
        }
        // any place a round may admit hears of its pass with half the pass's time left at least: the
        // unpaid orders of an opening's minute expire within a minute, and the last place they reach is
        // admitted as soon as the first (the million-buyer run: three buyers told to wait 60 s, a
        // pass's whole time, heard of their turn after it)
        retry = Math.min(retry, turnNoticeMillis(passMillis));
        long movers = Math.max(1, unsold + unpaid);
        long rounds = (needed + movers - 1) / movers;
        if (rounds <= 2) {
            return retry;
        }
        long round = sale.payWithinMillis() > 0 ? Math.min(passMillis, sale.payWithinMillis()) : passMillis;
        return Math.max(retry, Math.min(Math.min(FAR_LONGEST_RETRY_MILLIS, spread), (rounds - 2) * round));
    }

    /**
     * The longest a place that may be admitted before its next poll is told to wait: half a pass's
     * time (at least {@link #LEAST_RETRY_MILLIS}), so that its buyer hears of the pass with half its
     * time left to buy, whatever a shed poll or a slow page adds.
     */
    static long turnNoticeMillis(long passMillis) {
        return Math.max(LEAST_RETRY_MILLIS, passMillis / 2);
    }

    /**
     * An admitted buyer's answer: their pass (its time looked up once), used, being confirmed (a buy
     * not settled yet: no pass, not used, poll again: if its buyer heard 503 the pass comes back), or
     * lapsed. A spent pass is looked up at each poll (one store call): the store tells a buy that
     * stands from one its node gave up on, and gives the latter's pass back.
     */
    private QueueAnswer admitted(Sale sale, String user, String ticket, RoomView view, long now) {
        String key = sale.id() + "|" + sale.generation() + "|" + user;
        QueueStore.PassRecord record = passes.get(key);
        if (record == null || record.until() <= now) {
            record = store.pass(sale, user).orElse(null);
            if (record != null && !record.spent() && record.until() > now) {
                passes.put(key, record);
            }
        }
        if (record == null) {
            // admitted as this node read it, its pass not (yet) there: a moment
            return new QueueAnswer(QueueAnswer.State.WAITING, 1L, 0L, 0L, LEAST_RETRY_MILLIS, ticket, null, null, false,
                    null, view.joined());
        }
        if (record.confirming()) {
            // its buy is not settled yet: bought, or (its buyer told 503) voided and the pass given back
            return new QueueAnswer(QueueAnswer.State.ADMITTED, null, null, null, LEAST_RETRY_MILLIS, ticket, null, null,
                    false, null, view.joined());
        }
        if (record.spent()) {
            return new QueueAnswer(QueueAnswer.State.ADMITTED, null, null, null, LEAST_RETRY_MILLIS, ticket, null, null,
                    true, null, view.joined());
        }
        if (record.until() <= now) {
            return new QueueAnswer(QueueAnswer.State.LAPSED, null, null, null, MOST_RETRY_MILLIS, ticket, null, null,
                    false, null, view.joined());
        }
        return new QueueAnswer(QueueAnswer.State.ADMITTED, null, null, null, LEAST_RETRY_MILLIS, ticket,
                tokens.pass(sale, user, record.until()), record.until(), false, null, view.joined());
    }

    /**
     * This node's figures of {@code sale}'s room: as the admission step last read them; read now
     * (once, whoever else asks meanwhile) for a sale it has not read yet.
     *
     * @throws StockUnavailableException the figures are older than a few admission steps (the store is unreachable)
     */
    private RoomView view(Sale sale) {
        Cached cached = views.get(sale.id());
        if (cached == null || cached.generation() != sale.generation()) {
            Object lock = loading.computeIfAbsent(sale.id(), id -> new Object());
            synchronized (lock) {
                cached = views.get(sale.id());
                if (cached == null || cached.generation() != sale.generation()) {
                    read(sale);
                    cached = views.get(sale.id());
                }
            }
        }
        long age = System.nanoTime() - cached.readNanos();
        if (age > TimeUnit.MILLISECONDS.toNanos(stale())) {
            throw new StockUnavailableException("the waiting room of sale " + sale.id() + " was last read "
                    + TimeUnit.NANOSECONDS.toSeconds(age) + " s ago: the ticket store is unreachable");
        }
        return cached.view();
    }

    /** Figures older than this are not answered from: three admission steps, at least 5 s. */
    private long stale() {
        return Math.max(5_000, 3 * admitMillis);
    }

    private void read(Sale sale) {
        long nanos = System.nanoTime();
        RoomView view = store.admit(sale, Frontier.byClock(sale, clock.getAsLong()), passMillis);
        views.put(sale.id(), new Cached(sale.generation(), view, nanos));
    }

    /**
     * The admission step of every queued sale of {@code sales} not closed (each node runs it once a
     * {@code admitMillis}): passes lapse, places are admitted up to the frontier, and this node's
     * figures are read in the same call. A sale that fails does not keep the others from theirs;
     * the first failure is thrown after.
     */
    public void admitAll(Collection<Sale> sales) {
        long now = clock.getAsLong();
        RuntimeException failed = null;
        for (Sale sale : sales) {
            if (!sale.queued() || sale.closed(now)) {
                continue;
            }
            try {
                read(sale);
            } catch (RuntimeException e) {
                failed = failed == null ? e : failed;
            }
        }
        passes.values().removeIf(record -> record.until() <= now);
        if (failed != null) {
            throw failed;
        }
    }

    /**
     * {@code user} gives their turn in {@code sale}'s room back (docs/queue.md, "Leaving"): admitted,
     * their pass lapses at the next admission step and its slot goes to the next place; not admitted
     * yet, their pass lapses as soon as their place is admitted. Their place stays (places are ranks).
     * Safe to repeat.
     *
     * @return whether the buyer was admitted when it left
     * @throws QueueRefusal no room, closed, no place in it (404 {@code not_in_room}), or the pass was
     *     spent (409 {@code pass_spent})
     */
    public boolean leave(Sale sale, String user) {
        requireRoom(sale, clock.getAsLong());
        QueueStore.Left left = store.leave(sale, user);
        passes.remove(sale.id() + "|" + sale.generation() + "|" + user);
        return switch (left) {
            case ADMITTED -> true;
            case WAITING -> false;
            case SPENT -> throw QueueRefusal.passSpent(sale.id());
            case NOT_IN_ROOM -> throw QueueRefusal.notInRoom(sale.id());
        };
    }

    /** This node's figures of {@code sale}'s room, if it has read them. */
    public Optional<RoomView> figures(String sale) {
        return Optional.ofNullable(views.get(sale)).map(Cached::view);
    }

    /** Calls this room made to its store so far (joins, admission steps, pass lookups). */
    public long storeCalls() {
        return storeCalls.sum();
    }

    @Override
    public void close() {
        line.close();
    }

    /** Lets go of what this node keeps of sale {@code sale}'s room (the sale was archived). */
    public void forget(String sale) {
        views.remove(sale);
        loading.remove(sale);
        passes.keySet().removeIf(key -> key.startsWith(sale + "|"));
    }
}
