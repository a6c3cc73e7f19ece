package io.ticketrush.sale;

import java.util.concurrent.locks.StampedLock;

/**
 * A count per 64-bit key, in two primitive arrays (open addressing, linear probing): about 24
 * bytes a key, no object per key. One thread writes at a time; readers take an optimistic read
 * and only lock when a write got in the way, so the many threads that read it never block each
 * other.
 */
final class HashCounts {
    private static final int MIN_CAPACITY = 64;

    private final StampedLock lock = new StampedLock();
    private long[] keys = new long[MIN_CAPACITY];
    private int[] counts = new int[MIN_CAPACITY];
    private int size;

    /** Adds one to {@code key}'s count. */
    void increment(long key) {
        long stamp = lock.writeLock();
        try {
            if (2 * (size + 1) > keys.length) {
                grow();
            }
            int slot = slot(keys, key);
            if (keys[slot] == 0) {
                keys[slot] = key(key);
                size++;
            }
            counts[slot]++;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Takes one from {@code key}'s count; a key whose count reaches 0 is gone. */
    void decrement(long key) {
        long stamp = lock.writeLock();
        try {
            int slot = slot(keys, key);
            if (keys[slot] != 0 && --counts[slot] <= 0) {
                remove(slot);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /** Forgets {@code key} whatever its count. */
    void remove(long key) {
        long stamp = lock.writeLock();
        try {
            int slot = slot(keys, key);
            if (keys[slot] != 0) {
                remove(slot);
            }
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    boolean contains(long key) {
        long stamp = lock.tryOptimisticRead();
        boolean found = find(key);
        if (!lock.validate(stamp)) {
            stamp = lock.readLock();
            try {
                found = find(key);
            } finally {
                lock.unlockRead(stamp);
            }
        }
        return found;
    }

    void clear() {
        long stamp = lock.writeLock();
        try {
            keys = new long[MIN_CAPACITY];
            counts = new int[MIN_CAPACITY];
            size = 0;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    int size() {
        return size;
    }

    /** Bytes the arrays take (for the memory a sale costs). */
    long bytes() {
        return (long) keys.length * (Long.BYTES + Integer.BYTES);
    }

    private boolean find(long key) {
        long[] k = keys; // a racing grow() is caught by the stamp
        int slot = slot(k, key);
        return k[slot] != 0;
    }

    /** The slot holding {@code key}, or the empty slot where it would go. */
    private static int slot(long[] keys, long key) {
        long k = key(key);
        int mask = keys.length - 1;
        int slot = (int) (mix(k) & mask);
        while (keys[slot] != 0 && keys[slot] != k) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** Backward-shift deletion: no tombstones, so lookups stay short. */
    private void remove(int slot) {
        int mask = keys.length - 1;
        int hole = slot;
        for (int next = (hole + 1) & mask; keys[next] != 0; next = (next + 1) & mask) {
            int home = (int) (mix(keys[next]) & mask);
            // move the entry into the hole unless its home lies cyclically in (hole, next]
            if (((next - home) & mask) >= ((next - hole) & mask)) {
                keys[hole] = keys[next];
                counts[hole] = counts[next];
                hole = next;
            }
        }
        keys[hole] = 0;
        counts[hole] = 0;
        size--;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldCounts = counts;
        long[] newKeys = new long[oldKeys.length * 2];
        int[] newCounts = new int[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != 0) {
                int slot = slot(newKeys, oldKeys[i]);
                newKeys[slot] = oldKeys[i];
                newCounts[slot] = oldCounts[i];
            }
        }
        keys = newKeys;
        counts = newCounts;
    }

    /** 0 marks an empty slot: the one key that hashes to it is stored as 1. */
    private static long key(long key) {
        return key == 0 ? 1 : key;
    }

    /** The finaliser of SplitMix64: spreads the bits of the key over the slot index. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
