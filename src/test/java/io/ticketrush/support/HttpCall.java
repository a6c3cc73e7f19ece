package io.ticketrush.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

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
