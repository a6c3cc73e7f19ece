package io.ticketrush.jetty;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own answers to requests it refuses before the webapp sees them (an ambiguous or badly
 * encoded URI such as {@code /buy%2Fticket}, {@code //}, {@code %2e%2e} or {@code %FF}; headers
 * over the limit; a broken request line) in the WAR's JSON error shape
 * {@code {"code":0,"msg":..,"error":..,"data":null}}, for every method, instead of Jetty's HTML page.
 *
 * <p>It runs in the server, not in the webapp, so it is set on the {@code Server}: by
 * {@code etc/ticket-rush.xml} of the Jetty module the WAR carries (see {@code src/main/jetty-base}),
 * which the tests' embedded nodes apply too. Jetty's message is not echoed: it can name the
 * refused input or Jetty's internals.
 */
public class JsonErrorHandler extends ErrorHandler {

    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        byte[] body = body(code).getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** The body for {@code code}; the names match the WAR's and Nginx's JSON errors. */
    static String body(int code) {
        return switch (code) {
            case 400 -> error("bad_request", "bad request: the URI or the headers cannot be accepted");
            case 404 -> error("not_found", "no such endpoint");
            case 405 -> error("method_not_allowed", "method not allowed");
            case 408 -> error("timeout", "request timed out");
            case 413 -> error("too_large", "request body too large");
            case 414 -> error("too_long", "request line too long");
            case 431 -> error("headers_too_large", "request headers too large");
            case 501 -> error("not_implemented", "not implemented");
            case 503 -> error("unavailable", "busy, try again");
            case 505 -> error("http_version", "HTTP version not supported");
            default -> code >= 500 ? error("internal", "internal error") : error("bad_request", "bad request");
        };
    }

    private static String error(String error, String msg) {
        return "{\"code\":0,\"msg\":\"" + msg + "\",\"error\":\"" + error + "\",\"data\":null}";
    }
}
