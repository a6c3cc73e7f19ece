package io.ticketrush.queue;

import io.ticketrush.sale.Sale;

/**
 * The arithmetic of a queued sale's admission (docs/queue.md), on the sales' clock:
 *
 * <ul>
 * <li>the clock admits {@code rate} places a second from the opening, at most the sale's total
 *     ({@link #byClock}): each pass buys one ticket, so no more passes go out by time than there
 *     are tickets;</li>
 * <li>each pass that lapses unused, and each ticket that comes back, admits one place more;</li>
 * <li>so the places that can ever be admitted are the total + lapsed + returned so far
 *     ({@link #reach}): a place beyond it gets a ticket only if one ahead of it comes back.</li>
 * </ul>
 */
public final class Frontier {
    private Frontier() {
    }

    /** The places {@code sale}'s rate has admitted by {@code now}: none before the opening, at most its total. */
    public static long byClock(Sale sale, long now) {
        if (!sale.queued() || now < sale.opensAt()) {
            return 0;
        }
        long elapsed = now - sale.opensAt();
        // rate <= 100,000 and elapsed < 2^63 / 10^5 ms (29 million years): no overflow
        return Math.min(sale.total(), sale.queueRate() * elapsed / 1000);
    }

    /** The most places admitted ever, as {@code view} stands: the total, plus each lapsed pass and returned ticket. */
    public static long reach(Sale sale, RoomView view) {
        return sale.total() + view.lapsed() + view.returned();
    }

    /**
     * When place {@code rank} is admitted by the clock (ms, on the sales' clock), as {@code view}
     * stands: at the moment the rate has admitted {@code rank - lapsed - returned} places. Only for
     * a place within {@link #reach}.
     */
    public static long admittedAt(Sale sale, RoomView view, long rank) {
        long byTime = Math.max(0, rank - view.lapsed() - view.returned());
        // the first moment at which rate * elapsed / 1000 >= byTime
        return sale.opensAt() + (byTime * 1000 + sale.queueRate() - 1) / sale.queueRate();
    }

    /**
     * When a lottery place should first ask for its rank (ms after the opening): soon enough never to
     * miss its turn, spread so that a room of a million does not ask all at once. Its score is uniform
     * in [0, 1), so its rank among {@code joined} is about {@code score × joined} (off by at most
     * ~sqrt(joined) / 2 places). Within the tickets, the clock admits that rank at {@code rank / rate};
     * tickets that come back could admit it sooner, at most twice as fast in the pass's first time
     * (a ticket comes back only after it sold), so it asks at {@code rank / (2 × rate)}: the first
     * polls come at twice the admission rate, and a place admitted sooner than asked still has its
     * pass's time. Beyond the tickets, a turn comes only from a ticket back or a pass lapsed, so the
     * far places ask after the tickets' places, spread at {@code farPollsPerSecond} (the room's far
     * polls' rate), never later than the first rule. Later in rank is never sooner.
     */
    public static long firstPoll(Sale sale, double score, long joined, long farPollsPerSecond) {
        long rank = (long) (score * joined);
        long byRate = rank * 1000 / (2L * sale.queueRate());
        if (rank < sale.total()) {
            return byRate;
        }
        long tickets = sale.total() * 1000 / (2L * sale.queueRate());
        return Math.min(byRate, tickets + (rank - sale.total()) * 1000 / farPollsPerSecond);
    }
}
