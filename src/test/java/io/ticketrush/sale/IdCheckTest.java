package io.ticketrush.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The ids' hand-written checks accept exactly what their patterns ({@link Sale#ID}, {@link Buyer#ID}) accept. */
class IdCheckTest {

    @Test
    void the_checks_agree_with_the_patterns() {
        List<String> samples = new ArrayList<>(List.of("", "G1234", "a_b-c", "a.b", "a@b", "a b", "é", "a/b", "a+b",
                "a%20", "-", "_", ".", "@", "x".repeat(32), "x".repeat(33), "x".repeat(64), "x".repeat(65)));
        for (char c = 0; c < 256; c++) {
            samples.add("a" + c);
        }
        for (String s : samples) {
            assertEquals(Sale.ID.matcher(s).matches(), Sale.isId(s), () -> "sale id " + s);
            assertEquals(Buyer.ID.matcher(s).matches(), Buyer.isId(s), () -> "user id " + s);
        }
    }
}
