package io.ticketrush.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Joins every buyer of TOKENS (one signed token a line, {@link TokenFile}'s) to the waiting room of
 * SALE through URL, CONCURRENCY joins at a time, and writes each buyer's token and the queue ticket
 * its join answered into OUT ("TOKEN TICKET" a line, readable by its owner only): what a poll
 * sends, for a load generator that polls as the buy page does (ab-scripts/queue-room.lua). Fails
 * if any join is not answered 200 with a ticket.
 *
 * <pre>JoinedFile URL SALE TOKENS OUT CONCURRENCY</pre>
 */
public final class JoinedFile {
    private JoinedFile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            throw new IllegalArgumentException("JoinedFile URL SALE TOKENS OUT CONCURRENCY");
        }
        URI join = URI.create(args[0] + "/queue/join?sale=" + args[1]);
        List<String> tokens = Files.readAllLines(Path.of(args[2]));
        Path out = Path.of(args[3]);
        Semaphore inFlight = new Semaphore(Integer.parseInt(args[4]));
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String[] tickets = new String[tokens.size()];
        CompletableFuture<?>[] joins = new CompletableFuture<?>[tokens.size()];
        for (int i = 0; i < tokens.size(); i++) {
            int buyer = i;
            inFlight.acquire();
            HttpRequest request = HttpRequest.newBuilder(join).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + tokens.get(i))
                    .POST(HttpRequest.BodyPublishers.noBody()).build();
            joins[i] = http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(answer -> {
                tickets[buyer] = ticket(answer);
            }).whenComplete((done, failed) -> inFlight.release());
        }
        CompletableFuture.allOf(joins).join();
        Files.deleteIfExists(out);
        Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (BufferedWriter writer = Files.newBufferedWriter(out)) {
            for (int i = 0; i < tokens.size(); i++) {
                writer.write(tokens.get(i) + " " + tickets[i]);
                writer.newLine();
            }
        }
    }

    private static String ticket(HttpResponse<String> answer) {
        if (answer.statusCode() == 200) {
            JsonObject data = JsonParser.parseString(answer.body()).getAsJsonObject().getAsJsonObject("data");
            if (data != null && data.has("ticket")) {
                return data.get("ticket").getAsString();
            }
        }
        throw new IllegalStateException("a join answered " + answer.statusCode() + ": " + answer.body());
    }
}
