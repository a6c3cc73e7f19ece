package io.ticketrush.order;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A payment of an order: started by its buyer ({@code POST /pay}), settled only by the payment
 * provider's signed word that the money arrived ({@code POST /pay/callback}). {@code amount} is in
 * the currency's smallest unit (cents). Its id names its sale ({@code pay.SALE.RANDOM}), so a
 * payment is found from its id alone, and 128 random bits, so no one guesses another's.
 */
public record Payment(String id, String orderId, long amount, String state) {
    /** Started; the buyer is paying (or gave up, and the order expires at its deadline). */
    public static final String STARTED = "started";
    /** The provider confirmed it: its order is paid. */
    public static final String SUCCEEDED = "succeeded";
    /** The provider confirmed it for an order that had expired or was voided: the money is owed back. */
    public static final String REFUND_DUE = "refund_due";

    /** {@code pay.SALE.RANDOM}: the sale's id ({@code Sale.ID}), 16 random bytes in url-safe base64. */
    public static final Pattern ID = Pattern.compile("pay\\.([A-Za-z0-9_-]{1,32})\\.[A-Za-z0-9_-]{22}");
    /** A provider's event id: {@code evt_...}, letters, digits, {@code _} and {@code -}. */
    public static final Pattern EVENT_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new payment id in sale {@code sale}. */
    public static String newId(String sale) {
        byte[] bits = new byte[16];
        RANDOM.nextBytes(bits);
        return "pay." + sale + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }

    /** The sale a payment id names; empty if it is not a payment id. */
    public static Optional<String> saleOf(String paymentId) {
        Matcher id = ID.matcher(paymentId);
        return id.matches() ? Optional.of(id.group(1)) : Optional.empty();
    }

    /** What starting a payment came to. */
    public enum Start {
        /** A new payment. */
        STARTED,
        /** The order's payment had started already: the same payment again. */
        RESUMED,
        ALREADY_PAID, EXPIRED, VOIDED, UNKNOWN, NOT_YOURS,
        /** Its buyer cancelled the order. */
        CANCELLED
    }

    /** Starting a payment: what it came to, and the payment when STARTED or RESUMED (else null). */
    public record Started(Start outcome, Payment payment) {
    }

    /** What the provider's word that a payment succeeded came to. */
    public enum Confirmation {
        /** Its order is paid now. */
        PAID,
        /** The payment had been confirmed already: nothing changed. */
        ALREADY_PAID,
        /** Its order had expired or was voided: recorded as money owed back; the order stays as it was. */
        REFUND_DUE,
        /** No such payment: nothing changed. */
        UNKNOWN,
        /** The event names another order or amount than the payment's: nothing changed. */
        MISMATCH
    }

    /**
     * What confirming came to; {@code repeated}: the provider's event had been applied before, so
     * this is the first answer again and nothing changed now.
     */
    public record Confirmed(Confirmation outcome, boolean repeated) {
    }

    /** The provider's word that payment {@code paymentId} of {@code amount} for order {@code orderId} succeeded. */
    public record Notice(String eventId, String paymentId, String orderId, long amount) {
    }
}
