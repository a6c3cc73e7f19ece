package io.ticketrush.redis.keys;

import io.ticketrush.redis.script.LuaScripts;

/**
 * How order ids are made so that no two orders ever share one, across sales, across resets of
 * a sale, and across Redis datasets (a flushed or restored Redis): the id is the sale's base,
 * then a seven-digit sequence within the sale ({@code 17960253412} then {@code 0000017}).
 *
 * <p>A base is handed out when a sale is created or reset ({@link LuaScripts#NEXT_ID_BASE}): Redis's
 * clock in hundredths of a second, or one more than the last base if that is later. Time only
 * moves on, so even a Redis that lost its last base hands out a fresh one; a sale made by a
 * bare {@code HMSET} (the default sale, as the article sets it up), gets its base from the node before its first
 * sale. The order writer refuses a row that would reuse an id with other content, so a Redis
 * that went back in time (an append-only file that lost its last second) cannot overwrite an
 * order in the database either.
 *
 * <p>19 digits at most until the year 2286, so an id fits a Java {@code long} and a SQL
 * {@code BIGINT}.
 */
public final class OrderIds {
    /** The most orders one sale (or one reset of it) numbers; the buy script refuses more. */
    public static final int MAX_SEQ = 9_999_999;
    /** The digits of the sequence after the base. */
    public static final int SEQ_DIGITS = 7;

    private OrderIds() {
    }
}
