package io.ticketrush.settings;

/**
 * The per-user rate of a node's buys in sales with signed buyers (docs/security.md): past it, a
 * buy is answered 429 before anything else is done for it.
 *
 * @param perSecond {@code rush.user.rate}: buy requests a second per signed buyer, on each node; 0: no limit
 * @param burst {@code rush.user.burst}: requests at once before the rate applies
 * @param users {@code rush.user.rate.users}: how many buyers a node remembers at most (a table
 *     allocated once, never grown: about 130 bytes a buyer with the longest user ids)
 */
public record UserRateSettings(int perSecond, int burst, int users) {
    static UserRateSettings read(SettingsReader in) {
        return new UserRateSettings(in.number("rush.user.rate", 0, 1_000_000), in.number("rush.user.burst", 1, 1_000_000),
                in.number("rush.user.rate.users", 8, 1 << 24));
    }

    /** Whether buys are limited per user. */
    public boolean on() {
        return perSecond > 0;
    }
}
