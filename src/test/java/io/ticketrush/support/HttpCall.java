package io.ticketrush.support;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/** One HTTP exchange with a node or Nginx, and the JSON answer read back. */
public final class HttpCall {
    private static final HttpClient CLIENT = newClient();

    private HttpCall() {
    }

    /** HTTP/1.1 (what Nginx and the nodes speak to buyers), short connect timeout. */
    public static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    public static Answer get(URI uri) {
        return send(CLIENT, "GET", uri);
    }

    public static Answer send(String method, URI uri) {
        return send(CLIENT, method, uri);
    }

    /** Sends an empty-bodied request; an I/O failure becomes an answer with status -1, not an exception. */
    public static Answer send(HttpClient client, String method, URI uri) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            return new Answer(-1, method + " " + uri + " failed: " + e, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, method + " " + uri + " interrupted", "");
        }
    }

    /**
     * One GET on a connection of its own ({@code Connection: close}) over a plain socket: sent
     * exactly once, never re-sent by a client library on a closed pooled connection, so a test
     * can count what reached the server. An answer cut short (no complete head and
     * Content-Length body) is status -1, as an I/O error.
     */
    public static Answer getOnce(URI uri) {
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        String request = "GET " + target + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nConnection: close\r\n\r\n";
        byte[] raw;
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            raw = socket.getInputStream().readAllBytes();
        } catch (IOException e) {
            return new Answer(-1, "GET " + uri + " failed: " + e, "");
        }
        String text = new String(raw, StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        Matcher status = Pattern.compile("^HTTP/1\\.[01] (\\d{3}) ").matcher(text);
        if (headEnd < 0 || !status.find()) {
            return new Answer(-1, "GET " + uri + ": no complete answer: " + text, "");
        }
        String head = text.substring(0, headEnd);
        String body = text.substring(headEnd + 4);
        Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head);
        if (Pattern.compile("(?im)^transfer-encoding: *chunked").matcher(head).find()) {
            body = dechunk(body);
        } else if (!length.find() || body.getBytes(StandardCharsets.UTF_8).length != Integer.parseInt(length.group(1))) {
            body = null;
        }
        if (body == null) {
            return new Answer(-1, "GET " + uri + ": answer cut short: " + text, "");
        }
        Matcher type = Pattern.compile("(?im)^content-type: *([^\\r]*)").matcher(head);
        return new Answer(Integer.parseInt(status.group(1)), body, type.find() ? type.group(1) : "");
    }

    /** A chunked body's content, or null if it does not end with its last chunk. */
    private static String dechunk(String chunked) {
        StringBuilder body = new StringBuilder();
        int at = 0;
        while (true) {
            int lineEnd = chunked.indexOf("\r\n", at);
            if (lineEnd < 0) {
                return null;
            }
            int size;
            try {
                size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
            } catch (NumberFormatException e) {
                return null;
            }
            if (size == 0) {
                return body.toString();
            }
            // sizes count bytes; the JSON answers are ASCII
            if (lineEnd + 2 + size > chunked.length()) {
                return null;
            }
            body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
    }

    /** True once {@code uri} answers 200 (for Deadline.await while a server starts). */
    public static boolean answers200(URI uri) {
        return get(uri).status() == 200;
    }

    /** A status, a body and its content type; {@link #code()} is the ticket-rush JSON {@code code}. */
    public record Answer(int status, String body, String contentType) {
        /** The JSON body; fails naming the body if it is not a JSON object. */
        public JsonObject json() {
            try {
                JsonElement element = JsonParser.parseString(body);
                if (!element.isJsonObject()) {
                    throw new AssertionError("not a JSON object (status " + status + "): " + body);
                }
                return element.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body, e);
            }
        }

        public boolean isJson() {
            try {
                return JsonParser.parseString(body).isJsonObject();
            } catch (JsonParseException e) {
                return false;
            }
        }

        /** {@code code} of the JSON body, or null when there is none (an I/O error, a non-JSON page). */
        public Integer code() {
            if (!isJson()) {
                return null;
            }
            JsonElement code = json().get("code");
            return code == null || !code.isJsonPrimitive() ? null : code.getAsInt();
        }

        /** {@code data.node}: the port of the node that answered a buy, or null. */
        public Integer node() {
            if (!isJson()) {
                return null;
            }
            JsonElement data = json().get("data");
            if (data == null || !data.isJsonObject() || !data.getAsJsonObject().has("node")) {
                return null;
            }
            return data.getAsJsonObject().get("node").getAsInt();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
