package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.reflect.Proxy;
import java.util.List;

import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.util.MultiMap;
import org.eclipse.jetty.util.UrlEncoded;
import org.junit.jupiter.api.Test;

/** A plain query read straight gives what Jetty's own decoding gives; anything else is left to Jetty. */
class PlainQueryTest {

    @Test
    void a_plain_query_gives_the_values_jetty_gives() {
        List<String> queries = List.of("sale=G1234&user=alice", "user=a.b@c-d_e", "sale=x&sale=y", "sale", "sale=",
                "sale=a=b", "&&sale=x&&", "=x&sale=1", "salex=1&xsale=2&sal=3", "user=&user=bob", "a&b&sale&sale=");
        for (String query : queries) {
            MultiMap<String> jetty = new MultiMap<>();
            UrlEncoded.decodeUtf8To(query, jetty);
            for (String name : List.of("sale", "user", "rid", "a", "b")) {
                List<String> expected = jetty.getValues(name);
                String[] got = PlainQuery.values(get(query), name);
                assertArrayEquals(expected == null ? null : expected.toArray(String[]::new), got, query + " " + name);
            }
        }
    }

    @Test
    void escapes_pluses_other_characters_and_other_methods_are_left_to_the_container() {
        for (String query : List.of("user=al%69ce", "user=a+b", "user=al ice", "user=é", "sale=G1;x")) {
            assertSame(PlainQuery.NOT_PLAIN, PlainQuery.values(get(query), "user"), query);
        }
        assertSame(PlainQuery.NOT_PLAIN, PlainQuery.values(request("POST", "user=alice"), "user"));
        assertSame(null, PlainQuery.values(get(null), "user"), "no query: no value");
    }

    private static HttpServletRequest get(String query) {
        return request("GET", query);
    }

    private static HttpServletRequest request(String method, String query) {
        return (HttpServletRequest) Proxy.newProxyInstance(PlainQueryTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "getMethod" -> method;
                    case "getQueryString" -> query;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
