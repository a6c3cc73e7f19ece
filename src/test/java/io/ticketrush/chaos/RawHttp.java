package io.ticketrush.chaos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.x over a plain socket, for the requests {@code java.net.http} refuses to send (bad
 * request lines, raw bytes, header floods, slow senders). Reads one response: the head, then a
 * Content-Length or chunked body, or everything until the server closes. Bounded by a read timeout.
 */
final class RawHttp {
    /** What came back; status 0 when the server closed (or went quiet) without a status line. */
    record Response(int status, Map<String, String> headers, String body, String raw, String problem) {
        String contentType() {
            return headers.getOrDefault("content-type", "");
        }

        @Override
        public String toString() {
            String text = raw.length() > 600 ? raw.substring(0, 600) + "..." : raw;
            String shown = text.replace("\r\n", "\\r\\n ").replace("\n", "\\n ");
            return (problem == null ? "" : "(" + problem + ") ") + shown;
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} in one write. */
    static Response exchange(int port, byte[] request, boolean head, int readTimeoutMillis) throws IOException {
        return exchange(port, head, readTimeoutMillis, out -> out.write(request));
    }

    /** Sends {@code request} a byte at a time, {@code pauseMillis} apart: a slow client. */
    static Response exchangeSlowly(int port, byte[] request, long pauseMillis, int readTimeoutMillis)
            throws IOException {
        return exchange(port, false, readTimeoutMillis, out -> {
            for (byte b : request) {
                out.write(b);
                out.flush();
                pause(pauseMillis);
            }
        });
    }

    /** How a request is written. */
    interface Sender {
        void send(OutputStream out) throws IOException;
    }

    static Response exchange(int port, boolean head, int readTimeoutMillis, Sender sender) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(readTimeoutMillis);
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            try {
                sender.send(out);
                out.flush();
            } catch (IOException e) {
                // the server may answer and close before it has read everything (a 414, a 413)
            }
            return read(socket.getInputStream(), head);
        }
    }

    private static Response read(InputStream in, boolean head) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        String problem = null;
        try {
            int headEnd = readHead(in, raw);
            // an interim "100 Continue" comes before the real answer
            while (headEnd > 0 && parseStatus(raw.toString(StandardCharsets.ISO_8859_1).split("\r\n")[0]) / 100 == 1) {
                raw.reset();
                headEnd = readHead(in, raw);
            }
            if (headEnd < 0) {
                return new Response(0, Map.of(), "", raw.toString(StandardCharsets.ISO_8859_1),
                        raw.size() == 0 ? "closed without an answer" : "no complete head");
            }
            String headText = raw.toString(StandardCharsets.ISO_8859_1);
            String[] lines = headText.split("\r\n");
            int status = parseStatus(lines[0]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            byte[] body;
            if (head || status == 204 || status == 304 || status / 100 == 1) {
                body = new byte[0];
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = readChunked(in);
            } else if (headers.containsKey("content-length")) {
                body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            } else {
                body = in.readAllBytes();
            }
            String text = new String(body, StandardCharsets.UTF_8);
            return new Response(status, headers, text, headText + text, null);
        } catch (SocketTimeoutException e) {
            problem = "no complete answer before the read timeout";
        }
        return new Response(0, Map.of(), "", raw.toString(StandardCharsets.ISO_8859_1), problem);
    }

    /** Reads up to and including the blank line; returns its length, or -1 if the stream ended first. */
    private static int readHead(InputStream in, ByteArrayOutputStream raw) throws IOException {
        int matched = 0;
        int b;
        while ((b = in.read()) != -1) {
            raw.write(b);
            matched = switch (matched) {
                case 0, 2 -> b == '\r' ? matched + 1 : 0;
                case 1, 3 -> b == '\n' ? matched + 1 : (b == '\r' ? 1 : 0);
                default -> 0;
            };
            if (matched == 4) {
                return raw.size();
            }
            if (raw.size() > 1 << 20) {
                throw new IOException("head over 1 MB");
            }
        }
        return -1;
    }

    private static int parseStatus(String line) {
        String[] parts = line.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            return 0;
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
