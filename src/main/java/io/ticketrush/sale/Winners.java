package io.ticketrush.sale;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may hold an order, as this node learned it from the order stream all nodes share: the
 * request ids that bought, and the users holding pending or paid orders. A sold-out node answers
 * a loser from memory, and still finds the buyer who comes back: a request retried on another
 * node (Nginx does so when a node dies mid-answer), a user asking again.
 *
 * <p>Only 64-bit hashes are kept ({@link HashCounts}, about 24 bytes an order): a hit may be
 * another buyer's hash, so the seller confirms it in the global stock; a miss is certain, which
 * is what keeps losers off Redis.
 */
public final class Winners implements OrderListener {
    /** Replaced whole when the feed loads who holds what (a reader never sees it half filled). */
    private volatile HashCounts held = new HashCounts();
    /**
     * Orders this node made since it follows the stream, told here at once (a winner asking this
     * node again must not race the stream) and not yet heard of from the stream, which then
     * tells of them a second time: order id -> its buyer.
     */
    private final Map<String, Holdings.Request> toldHere = new ConcurrentHashMap<>();
    private volatile boolean following;
    private volatile boolean caughtUp;

    /** The node now follows the sale's orders (who holds them now, then the stream from that moment). */
    public void follow() {
        following = true;
    }

    /** An order this node just made: counted now if the stream is followed, so no winner races it. */
    public synchronized void createdHere(String orderId, String user, String requestId) {
        if (following) {
            toldHere.put(orderId, new Holdings.Request(user, requestId));
            count(held, user, requestId);
        }
    }

    @Override
    public void created(String orderId, String user, String requestId) {
        if (toldHere.remove(orderId) == null) {
            count(held, user, requestId);
        }
    }

    private static void count(HashCounts counts, String user, String requestId) {
        if (user != null) {
            counts.increment(userKey(user));
        }
        if (requestId != null) {
            counts.increment(requestKey(user, requestId));
        }
    }

    @Override
    public void returned(String orderId, String user, String requestId, boolean voided) {
        if (user != null) {
            held.decrement(userKey(user));
        }
        if (voided && requestId != null) {
            // the buyer was told 503: the request may buy again (an expired one is told so instead)
            held.remove(requestKey(user, requestId));
        }
    }

    /**
     * Who holds what, at the moment the stream is told from: replaces what was counted. An order
     * made here after that moment is not in {@code holdings} (and the stream will tell of it): it
     * stays counted; one made before is in it.
     */
    @Override
    public void loaded(Holdings holdings) {
        HashCounts fresh = new HashCounts();
        holdings.users().forEach((user, orders) -> {
            for (int i = 0; i < orders; i++) {
                fresh.increment(userKey(user));
            }
        });
        holdings.requests().forEach(request -> fresh.increment(requestKey(request.user(), request.requestId())));
        synchronized (this) {
            toldHere.keySet().removeIf(orderId -> Long.parseLong(orderId) <= holdings.lastOrderId());
            toldHere.values().forEach(buyer -> count(fresh, buyer.user(), buyer.requestId()));
            held = fresh;
        }
        caughtUp = true;
    }

    /** True once the node follows the sale's orders on the stream (it has seen the sale sold out). */
    public boolean following() {
        return following;
    }

    /** True once the feed has told who held orders when it started: a miss is then certain. */
    public boolean caughtUpOnce() {
        return caughtUp;
    }

    /** False only if {@code buyer} certainly holds no order, nor bought one with this request. */
    public boolean mightHold(Buyer buyer) {
        return buyer.requestId() != null && held.contains(requestKey(buyer.user(), buyer.requestId()))
                || buyer.user() != null && held.contains(userKey(buyer.user()));
    }

    /** A new sale: nobody holds anything. */
    public synchronized void clear() {
        held.clear();
        toldHere.clear();
    }

    /** Orders and requests remembered, and the bytes they take. */
    public int size() {
        return held.size();
    }

    public long bytes() {
        return held.bytes();
    }

    private static long userKey(String user) {
        return hash(1, user);
    }

    /** A request id is its buyer's: the same id from two users is two requests. */
    private static long requestKey(String user, String requestId) {
        return hash(hash(2, user == null ? "" : user), requestId);
    }

    private static long hash(long seed, String text) {
        long h = seed * 0x9E3779B97F4A7C15L;
        for (int i = 0; i < text.length(); i++) {
            h = (h ^ text.charAt(i)) * 0x100000001B3L;
        }
        return h ^ (h >>> 29);
    }
}
