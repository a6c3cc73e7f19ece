package io.ticketrush.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/**
 * One HTTP/1.1 exchange on a connection of its own from a chosen local address (Linux routes all
 * of 127.0.0.0/8 to the loopback, so 127.0.0.2 is a second client on this machine), with the
 * request target sent exactly as written: no client library normalises {@code //admin} or
 * {@code /./admin}, and nothing is sent twice. {@code Connection: close}: the answer ends with the
 * connection.
 */
public final class RawExchange {
    private RawExchange() {
    }

    /** {@code address} as an InetAddress ("127.0.0.2"). */
    public static InetAddress address(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    /**
     * Sends {@code method target} with an empty body from {@code from} to 127.0.0.1:{@code port}
     * and reads the answer; an I/O failure (refused, reset, closed without an answer, timed out
     * after {@code timeoutMillis}) is status -1 with the failure as the body.
     */
    public static Answer send(InetAddress from, int port, String method, String target, int timeoutMillis) {
        String request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return read(socket.getInputStream());
        } catch (IOException e) {
            return new Answer(-1, Map.of(), method + " " + target + " from " + from.getHostAddress() + ": " + e);
        }
    }

    /** The answer {@code in} carries up to its end (the server closes the connection after it). */
    public static Answer read(InputStream in) throws IOException {
        return parse(in.readAllBytes());
    }

    /** The answer in {@code raw}, all that came on a connection. */
    public static Answer parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return new Answer(-1, Map.of(), "no complete answer: \"" + text + "\"");
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        String[] statusLine = lines[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            return new Answer(-1, Map.of(), "not an HTTP answer: \"" + text + "\"");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        byte[] body = new byte[raw.length - headEnd - 4];
        System.arraycopy(raw, headEnd + 4, body, 0, body.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            body = dechunk(body);
        } else if (headers.containsKey("content-length")
                && Integer.parseInt(headers.get("content-length")) != body.length) {
            return new Answer(-1, headers, "answer cut short: \"" + text + "\"");
        }
        return new Answer(Integer.parseInt(statusLine[1]), headers, new String(body, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] chunked) {
        String text = new String(chunked, StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = text.indexOf("\r\n", at);
            int size = Integer.parseInt(text.substring(at, lineEnd).split(";")[0].trim(), 16);
            if (size == 0) {
                return body.toByteArray();
            }
            body.write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    /** A status (-1: no answer), the head's fields by lower-case name, and the body. */
    public record Answer(int status, Map<String, String> headers, String body) {
        public String contentType() {
            return headers.getOrDefault("content-type", "");
        }

        /** The JSON body; fails naming the answer if it is not a JSON object. */
        public JsonObject json() {
            try {
                JsonElement element = JsonParser.parseString(body);
                if (!element.isJsonObject()) {
                    throw new AssertionError("not a JSON object: " + this);
                }
                return element.getAsJsonObject();
            } catch (JsonParseException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        /** {@code code} of a JSON body, null without one. */
        public Integer code() {
            try {
                JsonElement code = json().get("code");
                return code == null || !code.isJsonPrimitive() ? null : code.getAsInt();
            } catch (AssertionError e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return status + " " + headers + " " + body;
        }
    }
}
