package io.ticketrush.settings;

/**
 * Payments: the payment provider's signed callbacks, and the demo provider.
 *
 * @param secret the webhook signing secret the provider and the nodes share: {@code rush.pay.secret.file}
 *     (or {@code rush.pay.secret} from the environment); null: no payment can be started or confirmed
 * @param demo {@code rush.pay.demo}: the demo provider ({@code /demo-pay/...}) is on
 * @param amount {@code rush.pay.amount}: what a ticket costs, in the currency's smallest unit (cents)
 * @param keepEventMillis {@code rush.pay.events.keep.s} in ms: how long a provider's event id is kept,
 *     so the same event again is answered as the first time and applied once (the provider's retries
 *     must come within it; replays outside the signature's 300-second window are refused anyway)
 */
public record PaySettings(String secret, boolean demo, long amount, long keepEventMillis) {
    /** The signature's window both ways (PaymentSignature.TOLERANCE), which events must be kept longer than. */
    private static final int WINDOW_BOTH_WAYS_SECONDS = 600;

    static PaySettings read(SettingsReader in) {
        return new PaySettings(Secrets.read(in, "rush.pay.secret", 16, "it signs the payment provider's word"),
                in.flag("rush.pay.demo"), in.number("rush.pay.amount", 1, 1_000_000_000),
                1000L * in.number("rush.pay.events.keep.s", WINDOW_BOTH_WAYS_SECONDS, 30 * 86_400));
    }

    /** Whether payments can be started and confirmed (a secret is configured). */
    public boolean on() {
        return secret != null;
    }

    /** Never shows the secret. */
    @Override
    public String toString() {
        return "PaySettings[secret=" + (secret == null ? "none" : "(set)") + ", demo=" + demo + ", amount=" + amount
                + ", keepEventMillis=" + keepEventMillis + "]";
    }
}
