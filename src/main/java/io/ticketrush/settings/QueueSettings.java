package io.ticketrush.settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The queued sales' waiting rooms (docs/queue.md).
 *
 * @param keyFile {@code rush.queue.key.file}: the key that signs queue tickets and passes, the same
 *     on every node ({@code run/queue-key}, 32 random bytes in base64); empty: a key of the node's
 *     own, made at its start (a node alone: another cannot read its tickets)
 * @param passTtlMillis {@code rush.queue.pass.ttl.ms}: how long a pass buys from its admission; unused
 *     by then, it lapses and its place's turn goes to the next in line
 * @param lingerMillis {@code rush.queue.join.linger.ms}: before a sale's opening only, how long a batch
 *     of joins waits for company (or until 64 are in line) before its one Redis call
 * @param admitMillis {@code rush.queue.admit.ms}: how often each node runs the admission step (and
 *     reads the rooms' figures that polls are answered from)
 */
public record QueueSettings(Optional<Path> keyFile, int passTtlMillis, int lingerMillis, int admitMillis) {

    static QueueSettings read(SettingsReader in) {
        return new QueueSettings(keyFile(in), in.number("rush.queue.pass.ttl.ms", 1_000, 3_600_000),
                in.number("rush.queue.join.linger.ms", 0, 1_000), in.number("rush.queue.admit.ms", 10, 60_000));
    }

    private static Optional<Path> keyFile(SettingsReader in) {
        String value = in.text("rush.queue.key.file");
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path)) {
            in.problem("rush.queue.key.file=" + value + ": no such readable file");
        }
        return Optional.of(path);
    }
}
