package io.ticketrush.sale;

/** What was asked is malformed or breaks a rule (an id, a sale's definition): a 400, the message names the rule. */
public final class InvalidInputException extends Refusal {
    public InvalidInputException(String message) {
        super(message, null, false);
    }

    @Override
    public int status() {
        return 400;
    }

    @Override
    public String error() {
        return "bad_request";
    }
}
