package io.ticketrush.sale;

/** A sale with that id exists already: a sale cannot be created twice (409). */
public final class SaleExistsException extends Refusal {
    public SaleExistsException(String id) {
        super("sale " + id + " exists already; a sale cannot be created twice", null, false);
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
