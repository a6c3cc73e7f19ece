package io.ticketrush.sale;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The rules a new sale must keep, whoever creates it. */
public final class SaleRules {
    private SaleRules() {
    }

    /**
     * Checks {@code sale} against every rule; each broken one is named with its value.
     *
     * @param defaultStockKey the default sale's stock key, which no other sale may take as its id
     * @throws InvalidInputException a rule is broken
     */
    public static void check(Sale sale, String defaultStockKey) {
        List<String> problems = new ArrayList<>();
        if (!Sale.ID.matcher(sale.id()).matches()) {
            problems.add("id '" + sale.id() + "' must be 1 to 32 letters, digits, _ or -");
        } else if (Sale.DEFAULT.equals(sale.id()) || sale.id().equals(defaultStockKey)) {
            problems.add("id '" + sale.id() + "' is the default sale's; choose another");
        } else if (Sale.isBucket(sale.id())) {
            problems.add("id '" + sale.id() + "' holds '" + Sale.BUCKET_SEPARATOR + "', kept for a hot sale's buckets");
        } else if (sale.bucketed() && sale.bucketId(sale.buckets() - 1).length() > 32) {
            problems.add("id '" + sale.id() + "' is too long for a sale in buckets (its buckets' ids add "
                    + (Sale.BUCKET_SEPARATOR.length() + String.valueOf(sale.buckets() - 1).length()) + " characters)");
        }
        if (sale.buckets() < 0 || sale.buckets() == 1 || sale.buckets() > Sale.MAX_BUCKETS) {
            problems.add("buckets " + sale.buckets() + " must be 0 (none) or 2 to " + Sale.MAX_BUCKETS);
        } else if (sale.bucketed() && sale.total() < sale.buckets()) {
            problems.add("stock " + sale.total() + " must be at least one ticket a bucket (" + sale.buckets() + ")");
        }
        if (sale.total() < 0 || sale.total() > Sale.MAX_TOTAL) {
            problems.add("stock " + sale.total() + " must be between 0 and " + Sale.MAX_TOTAL);
        }
        if (sale.name().isBlank() || sale.name().length() > Sale.MAX_NAME
                || sale.name().chars().anyMatch(Character::isISOControl)) {
            problems.add("name must be 1 to " + Sale.MAX_NAME + " characters, none of them control characters");
        }
        if (sale.opensAt() < 0) {
            problems.add("opens " + sale.opensAt() + " must not be before 1970");
        }
        if (sale.closesAt() != 0 && sale.closesAt() <= sale.opensAt()) {
            problems.add("closes " + Instant.ofEpochMilli(sale.closesAt()) + " must be after opens "
                    + Instant.ofEpochMilli(sale.opensAt()));
        }
        if (sale.perUserLimit() < 1 || sale.perUserLimit() > 1000) {
            problems.add("limit " + sale.perUserLimit() + " must be between 1 and 1000");
        }
        if (sale.payWithinMillis() < 1000 || sale.payWithinMillis() > 86_400_000L) {
            problems.add("pay-within " + sale.payWithinMillis() / 1000 + " s must be between 1 s and a day");
        }
        if (sale.queueRate() < 0 || sale.queueRate() > Sale.MAX_QUEUE_RATE) {
            problems.add("queue " + sale.queueRate() + " must be between 0 (none) and " + Sale.MAX_QUEUE_RATE
                    + " places a second");
        }
        if (sale.powBits() < 0 || sale.powBits() > Sale.MAX_POW_BITS) {
            problems.add("pow " + sale.powBits() + " must be between 0 (none) and " + Sale.MAX_POW_BITS + " bits");
        } else if (sale.powBits() > 0 && !sale.queued()) {
            problems.add("pow " + sale.powBits() + " is the waiting room's puzzle: only for a queued sale");
        }
        if (sale.queued()) {
            // a place belongs to a signed buyer, and a pass buys one ticket from one stock
            if (!sale.signed()) {
                problems.add("a queued sale's buyers must be signed (a place belongs to a signed buyer)");
            }
            if (sale.bucketed()) {
                problems.add("a queued sale cannot be split into buckets");
            }
            if (sale.perUserLimit() != 1) {
                problems.add("limit " + sale.perUserLimit() + " must be 1 in a queued sale (a pass buys one ticket)");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidInputException("sale refused: " + String.join("; ", problems));
        }
    }
}
