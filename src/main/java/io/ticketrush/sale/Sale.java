package io.ticketrush.sale;

import java.util.regex.Pattern;

/**
 * One sale (a train): what it sells and when. The article's stock is the default sale, {@link #DEFAULT};
 * others are created while the nodes run. Times are milliseconds since the epoch on Redis's clock,
 * the one clock all nodes share.
 *
 * @param total the tickets on sale
 * @param opensAt when buying starts (0: from the start)
 * @param closesAt when buying ends (0: never)
 * @param perUserLimit tickets one user may hold at once
 * @param payWithinMillis the time an order has to be paid before its ticket goes back
 * @param generation the sale's order id base: a reset of the sale gives it a new one
 * @param buckets 0 for a sale sold from one stock; K for a hot sale split into K buckets, each a
 *     sale of its own ({@link #bucketId}) with its own stock, possibly on another Redis master
 *     (docs/cluster.md, "One hot sale split over the shards")
 * @param signed whether its buyers are signed: every buy, order, orders and pay request carries a
 *     token and the buyer is its subject ({@link #SIGNED}); else open, the article's way: the buyer
 *     is whoever the request names ({@link #OPEN})
 * @param queueRate 0 for a sale every buyer races for; R for a queued sale: its buyers wait in a
 *     room, and passes to buy go out to R places a second from the opening (docs/queue.md)
 * @param powBits the proof of work a queued sale's joiner solves first (bits of difficulty; 0: none)
 */
public record Sale(String id, String name, long total, long opensAt, long closesAt, int perUserLimit,
        long payWithinMillis, long generation, int buckets, boolean signed, int queueRate, int powBits) {

    /** The buyers of a sale whose buyers are signed (a request's token names them), as Redis and requests say it. */
    public static final String SIGNED = "signed";
    /** The buyers of a sale whose buyers are open (a request names them), as Redis and requests say it. */
    public static final String OPEN = "open";

    /** What joins a hot sale's id and a bucket's number in the bucket's id; no created sale's id holds it. */
    public static final String BUCKET_SEPARATOR = "--";
    /** The most buckets one sale may be split into. */
    public static final int MAX_BUCKETS = 16;
    /**
     * The most tickets a sale may have: every order of it, and of a reset of it, must have a number
     * within its order id base (io.ticketrush.redis.keys.OrderIds: 9,999,999 at most).
     */
    public static final long MAX_TOTAL = 4_999_999;

    /** The most passes a queued sale may hand out a second. */
    public static final int MAX_QUEUE_RATE = 100_000;
    /** The hardest proof of work a queued sale may ask for (bits). */
    public static final int MAX_POW_BITS = 32;

    /** A sale sold from one stock, its buyers open. */
    public Sale(String id, String name, long total, long opensAt, long closesAt, int perUserLimit,
            long payWithinMillis, long generation) {
        this(id, name, total, opensAt, closesAt, perUserLimit, payWithinMillis, generation, 0, false);
    }

    /** A sale whose buyers are open. */
    public Sale(String id, String name, long total, long opensAt, long closesAt, int perUserLimit,
            long payWithinMillis, long generation, int buckets) {
        this(id, name, total, opensAt, closesAt, perUserLimit, payWithinMillis, generation, buckets, false);
    }

    /** A sale without a waiting room. */
    public Sale(String id, String name, long total, long opensAt, long closesAt, int perUserLimit,
            long payWithinMillis, long generation, int buckets, boolean signed) {
        this(id, name, total, opensAt, closesAt, perUserLimit, payWithinMillis, generation, buckets, signed, 0, 0);
    }

    /** This sale with its buyers signed or open. */
    public Sale withSigned(boolean signed) {
        return new Sale(id, name, total, opensAt, closesAt, perUserLimit, payWithinMillis, generation, buckets, signed,
                queueRate, powBits);
    }

    /** This sale with a waiting room admitting {@code rate} places a second (0: none), a puzzle of {@code bits}. */
    public Sale withQueue(int rate, int bits) {
        return new Sale(id, name, total, opensAt, closesAt, perUserLimit, payWithinMillis, generation, buckets, signed,
                rate, bits);
    }

    /** Whether its buyers wait in a room and buy only with a pass (docs/queue.md). */
    public boolean queued() {
        return queueRate > 0;
    }

    /** Its buyers in a word: {@link #SIGNED} or {@link #OPEN}. */
    public String buyers() {
        return signed ? SIGNED : OPEN;
    }

    /**
     * Whether {@code buyers} ({@link #SIGNED} or {@link #OPEN}, as a request or Redis says it) means signed.
     *
     * @throws InvalidInputException it is neither
     */
    public static boolean signedBuyers(String buyers) {
        if (SIGNED.equals(buyers)) {
            return true;
        }
        if (OPEN.equals(buyers)) {
            return false;
        }
        throw new InvalidInputException("buyers '" + buyers + "' must be " + SIGNED + " or " + OPEN);
    }

    /** The id of bucket {@code bucket} of this hot sale. */
    public String bucketId(int bucket) {
        return bucketId(id, bucket);
    }

    /** The id of bucket {@code bucket} of hot sale {@code id}. */
    public static String bucketId(String id, int bucket) {
        return id + BUCKET_SEPARATOR + bucket;
    }

    /** Whether the sale is split into buckets. */
    public boolean bucketed() {
        return buckets > 0;
    }

    /** Whether {@code id} names a bucket of a hot sale. */
    public static boolean isBucket(String id) {
        return id.contains(BUCKET_SEPARATOR);
    }

    /** The sale {@code id} is of: itself, or for a hot sale's bucket ({@code G1--0}) its hot sale ({@code G1}). */
    public static String saleOf(String id) {
        int bucket = id.indexOf(BUCKET_SEPARATOR);
        return bucket < 0 ? id : id.substring(0, bucket);
    }

    /** The default sale: bought from when a request names none. */
    public static final String DEFAULT = "default";
    /** 1 to 32 letters, digits, {@code _} or {@code -}. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");
    public static final int MAX_NAME = 100;

    /** Where a sale stands, for lists and dashboards. */
    public enum State { UPCOMING, OPEN, SOLD_OUT, CLOSED }

    /** Checks a sale id from a request and names what is wrong with it. */
    public static String requireId(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidInputException(name + " is required");
        }
        if (!isId(value)) {
            throw new InvalidInputException(name + " must be 1 to 32 letters, digits, _ or -");
        }
        return value;
    }

    /** {@link #ID} without the regex engine: every buy checks one (the sale's), losers included. */
    static boolean isId(String value) {
        return isId(value, 32, "_-");
    }

    /** 1 to {@code max} ASCII letters, digits and {@code others}. */
    static boolean isId(String value, int max, String others) {
        int n = value.length();
        if (n < 1 || n > max) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || others.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    public boolean opened(long now) {
        return now >= opensAt;
    }

    public boolean closed(long now) {
        return closesAt > 0 && now >= closesAt;
    }

    public State state(long now, long sold) {
        if (closed(now)) {
            return State.CLOSED;
        }
        if (!opened(now)) {
            return State.UPCOMING;
        }
        return sold >= total ? State.SOLD_OUT : State.OPEN;
    }
}
