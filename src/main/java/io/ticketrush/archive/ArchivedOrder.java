package io.ticketrush.archive;

/**
 * An order of an archived sale, as the order database holds it.
 *
 * @param paymentId the payment that paid it (or came too late for it); null for none
 */
public record ArchivedOrder(long id, String sale, String user, int node, long created, long deadline, String state,
        String paymentId) {
}
