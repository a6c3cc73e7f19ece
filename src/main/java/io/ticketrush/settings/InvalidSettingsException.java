package io.ticketrush.settings;

/** Settings that are out of range or malformed; the message names each setting and its rule. */
public final class InvalidSettingsException extends RuntimeException {
    InvalidSettingsException(String message) {
        super(message);
    }
}
