package io.ticketrush.web;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The parameters of a GET whose query string needs no decoding (letters, digits and {@code _ . @ - = &}
 * only, as every buyer's {@code ?sale=G1234&user=alice} is), read straight from the query string.
 * The container's parameter map decodes and copies the whole query (and reads a form body) for each
 * request: a loser's answer spent 8% of its node's CPU there. Anything else (a %-escape, a '+', a
 * POST) is left to the container, so both ways give the same values for every request.
 */
final class PlainQuery {
    /** Not a plain GET query: ask the container. */
    static final String[] NOT_PLAIN = new String[0];

    private PlainQuery() {
    }

    /**
     * The values of {@code name} in the order given (null when it is not there), or {@link #NOT_PLAIN}.
     * As the container: "a&b" gives a and b an empty value; "a=b=c" gives a the value "b=c".
     */
    static String[] values(HttpServletRequest request, String name) {
        if (!"GET".equals(request.getMethod())) {
            return NOT_PLAIN;
        }
        String query = request.getQueryString();
        if (query == null) {
            return null;
        }
        for (int i = 0; i < query.length(); i++) {
            if (!plain(query.charAt(i))) {
                return NOT_PLAIN;
            }
        }
        String[] found = null;
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            if (end > start) {
                int equals = query.indexOf('=', start);
                int keyEnd = equals >= 0 && equals < end ? equals : end;
                if (keyEnd - start == name.length() && query.startsWith(name, start)) {
                    String value = keyEnd == end ? "" : query.substring(keyEnd + 1, end);
                    found = add(found, value);
                }
            }
            start = end + 1;
        }
        return found;
    }

    private static String[] add(String[] values, String value) {
        if (values == null) {
            return new String[] {value};
        }
        String[] more = java.util.Arrays.copyOf(values, values.length + 1);
        more[values.length] = value;
        return more;
    }

    private static boolean plain(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
                || c == '@' || c == '-' || c == '=' || c == '&';
    }
}
