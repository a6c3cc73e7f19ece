package io.ticketrush.sale;

/**
 * A sale with that id exists already, or existed and was archived: a sale cannot be created twice,
 * and an archived sale's id is never used again (its orders keep answering by it) (409).
 */
public final class SaleExistsException extends Refusal {
    private final String reason;

    public SaleExistsException(String id) {
        this("sale " + id + " exists already; a sale cannot be created twice", null);
    }

    private SaleExistsException(String message, String reason) {
        super(message, null, false);
        this.reason = reason;
    }

    /** Sale {@code id} was archived: its id cannot be used again. */
    public static SaleExistsException archived(String id) {
        return new SaleExistsException("sale " + id + " was archived (its orders are in the database); an archived"
                + " sale's id cannot be used again", "archived");
    }

    @Override
    public String reason() {
        return reason;
    }

    @Override
    public int status() {
        return 409;
    }

    @Override
    public String error() {
        return "conflict";
    }
}
