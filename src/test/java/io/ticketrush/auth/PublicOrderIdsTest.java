package io.ticketrush.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.Test;

/** Public order ids: one per order, the same on every node with the key, and not to be guessed. */
class PublicOrderIdsTest {
    private static final String ALICE = "17960253412" + "0000017";
    private static final String BOB = "17960253412" + "0000018";

    @Test
    void an_order_has_one_public_id_of_22_url_safe_characters_that_leads_back_to_it() {
        PublicOrderIds ids = PublicOrderIds.ofRandomKey();
        String id = ids.toPublic(ALICE);
        assertEquals(22, id.length());
        assertTrue(id.matches("[A-Za-z0-9_-]{22}"), id);
        assertEquals(id, ids.toPublic(ALICE), "the same order, the same id, on any call");
        assertEquals(Optional.of(ALICE), ids.toInternal(id));
        assertEquals(Optional.of(String.valueOf(Long.MAX_VALUE)), ids.toInternal(ids.toPublic(String.valueOf(Long.MAX_VALUE))));
    }

    @Test
    void every_node_with_the_key_file_makes_the_same_ids_and_another_key_reads_none_of_them() throws Exception {
        Path dir = Files.createTempDirectory("rush-order-key-");
        try {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Path file = Files.writeString(dir.resolve("order-key"), Base64.getEncoder().encodeToString(key) + "\n");
            PublicOrderIds one = PublicOrderIds.fromFile(file);
            PublicOrderIds two = PublicOrderIds.fromFile(file);
            assertEquals(one.toPublic(ALICE), two.toPublic(ALICE));
            assertEquals(Optional.empty(), PublicOrderIds.ofRandomKey().toInternal(one.toPublic(ALICE)));
            Path bad = Files.writeString(dir.resolve("bad"), "c2hvcnQ=");
            assertThrows(IllegalArgumentException.class, () -> PublicOrderIds.fromFile(bad));
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    @Test
    void neighbouring_orders_have_unrelated_ids_and_guesses_lead_nowhere() {
        PublicOrderIds ids = PublicOrderIds.ofRandomKey();
        String alice = ids.toPublic(ALICE);
        String bob = ids.toPublic(BOB);
        assertNotEquals(alice, bob);
        long same = IntStream.range(0, 22).filter(i -> alice.charAt(i) == bob.charAt(i)).count();
        assertTrue(same < 8, () -> "bob's id shares " + same + " of 22 places with alice's: " + alice + " " + bob);
        // 100,000 ids one character from alice's, and random ones: none is an order
        Set<String> tried = new HashSet<>();
        char[] alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();
        for (int place = 0; place < 22; place++) {
            for (char c : alphabet) {
                char[] guess = alice.toCharArray();
                guess[place] = c;
                tried.add(new String(guess));
            }
        }
        tried.remove(alice);
        SecureRandom random = new SecureRandom();
        while (tried.size() < 100_000) {
            char[] guess = new char[22];
            for (int i = 0; i < 22; i++) {
                guess[i] = alphabet[random.nextInt(alphabet.length)];
            }
            tried.add(new String(guess));
        }
        long found = tried.stream().filter(guess -> ids.toInternal(guess).isPresent()).count();
        assertEquals(0, found, "guessed public ids that name an order");
    }

    @Test
    void only_22_url_safe_characters_look_like_a_public_id() {
        assertTrue(PublicOrderIds.looksPublic("AAAAAAAAAAAAAAAAAAAAAA"));
        assertTrue(!PublicOrderIds.looksPublic(ALICE));
        assertTrue(!PublicOrderIds.looksPublic("AAAAAAAAAAAAAAAAAAAAA+"));
        assertTrue(!PublicOrderIds.looksPublic("AAAAAAAAAAAAAAAAAAAAAAA"));
    }
}
