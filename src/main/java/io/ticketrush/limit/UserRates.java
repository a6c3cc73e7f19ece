package io.ticketrush.limit;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * At most {@code rate} requests a second per user, {@code burst} of them at once, in memory that
 * does not grow: a table of a fixed number of users, allocated once.
 *
 * <p>Each user's allowance is one number, the moment its next request would be on schedule (the
 * generic cell rate algorithm, a token bucket written as a time): a request is let through when
 * that moment is at most {@code burst - 1} intervals ahead of now, and moves it one interval on.
 * A user whose moment has passed has a full bucket, exactly as a user never seen.
 *
 * <p>The table is set-associative, as a CPU cache: a user's name picks one set of {@link #WAYS}
 * slots; a user not in its set takes a free slot, else the slot whose moment is the earliest
 * (the user nearest a full bucket, for whom forgetting changes least). So it never holds more
 * than {@link #capacity()} users, whatever the number asking, and a user is forgotten before its
 * bucket is full again only when more than {@link #WAYS} users of its set have all asked within
 * the last {@code burst / rate} seconds; forgotten, it starts again with a full bucket.
 */
public final class UserRates {
    /** Slots per set: how many users sharing a set are remembered together. */
    public static final int WAYS = 8;
    private static final int STRIPES = 256;

    private final long intervalNanos;
    private final long toleranceNanos;
    private final LongSupplier clock;
    /** A set is the top bits of the name's hash times the golden ratio: {@code 32 - log2(sets)} shifted out. */
    private final int setShift;
    private final int sets;
    /** Per slot: the user, its name's hash, and the moment its next request is on schedule. */
    private final String[] users;
    private final int[] hashes;
    private final long[] due;
    private final Object[] locks;

    /**
     * @param rate requests a second per user (at least 1)
     * @param burst requests at once before the rate applies (at least 1)
     * @param users how many users to remember at most: rounded up to {@link #WAYS} times a power of two
     * @param clock nanoseconds, as {@link System#nanoTime()}
     */
    public UserRates(int rate, int burst, int users, LongSupplier clock) {
        if (rate < 1 || burst < 1 || users < 1) {
            throw new IllegalArgumentException("rate, burst and users must be at least 1: " + rate + ", " + burst + ", "
                    + users);
        }
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        this.toleranceNanos = intervalNanos * (burst - 1);
        this.clock = clock;
        int sets = Integer.highestOneBit(Math.max(1, (users + WAYS - 1) / WAYS));
        if (sets * WAYS < users) {
            sets <<= 1;
        }
        this.sets = sets;
        this.setShift = Integer.numberOfLeadingZeros(sets) + 1;
        this.users = new String[sets * WAYS];
        this.hashes = new int[sets * WAYS];
        this.due = new long[sets * WAYS];
        this.locks = new Object[Math.min(STRIPES, sets)];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    public UserRates(int rate, int burst, int users) {
        this(rate, burst, users, System::nanoTime);
    }

    /**
     * Counts one request of {@code user} if its rate allows it now.
     *
     * @return 0 when it may go on; else how many nanoseconds until its next request would be let through
     */
    public long acquire(String user) {
        int hash = user.hashCode();
        int set = setOf(hash);
        int first = set * WAYS;
        long now = clock.getAsLong();
        synchronized (locks[set % locks.length]) {
            int slot = find(first, hash, user);
            if (slot < 0) {
                slot = makeRoom(first);
                users[slot] = user;
                hashes[slot] = hash;
                due[slot] = now;
            }
            long next = due[slot] - now > 0 ? due[slot] : now;
            long ahead = next - now;
            if (ahead > toleranceNanos) {
                return ahead - toleranceNanos;
            }
            due[slot] = next + intervalNanos;
            return 0;
        }
    }

    private int find(int first, int hash, String user) {
        for (int slot = first; slot < first + WAYS; slot++) {
            if (hashes[slot] == hash && user.equals(users[slot])) {
                return slot;
            }
        }
        return -1;
    }

    /** A free slot of the set, else the one whose user is nearest a full bucket. */
    private int makeRoom(int first) {
        int earliest = first;
        for (int slot = first; slot < first + WAYS; slot++) {
            if (users[slot] == null) {
                return slot;
            }
            if (due[slot] - due[earliest] < 0) {
                earliest = slot;
            }
        }
        return earliest;
    }

    /** How many users it can remember at most: its slots, allocated once. */
    public int capacity() {
        return users.length;
    }

    /** How many users it remembers now (a count over every slot: for tests and reports, not the buy path). */
    public int size() {
        int n = 0;
        for (int stripe = 0; stripe < locks.length; stripe++) {
            synchronized (locks[stripe]) {
                for (int set = stripe; set < sets; set += locks.length) {
                    for (int slot = set * WAYS; slot < (set + 1) * WAYS; slot++) {
                        n += users[slot] != null ? 1 : 0;
                    }
                }
            }
        }
        return n;
    }

    /** Whether {@code user} is remembered now. */
    public boolean remembers(String user) {
        int hash = user.hashCode();
        int set = setOf(hash);
        synchronized (locks[set % locks.length]) {
            return find(set * WAYS, hash, user) >= 0;
        }
    }

    private int setOf(int hash) {
        return setShift == 32 ? 0 : (hash * 0x9E3779B9) >>> setShift;
    }
}
