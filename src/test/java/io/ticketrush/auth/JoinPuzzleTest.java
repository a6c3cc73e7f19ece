package io.ticketrush.auth;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import io.ticketrush.auth.JoinPuzzle.Challenge;
import io.ticketrush.auth.JoinPuzzle.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The join puzzle's rules, proof by proof: a solution joins its own user to its own sale before it
 * expires, and a stranger's replay, a forgery, an edited salt or a splice joins nobody, each for
 * the reason it says.
 */
@Timeout(120)
class JoinPuzzleTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long NOW = 1_765_000_000_000L;

    private final AtomicLong clock = new AtomicLong(NOW);
    private final JoinPuzzle puzzle = new JoinPuzzle(KEY, clock::get);

    /** The number that solves {@code challenge}; fails the test when none up to its maxnumber does. */
    static long number(Challenge challenge) {
        return JoinPuzzle.solve(challenge).orElseThrow(() -> new AssertionError("nothing solves " + challenge));
    }

    /** Solves {@code challenge} as a browser does and makes the X-Queue-Proof value. */
    static String solve(Challenge challenge) {
        return JoinPuzzle.proof(challenge, number(challenge));
    }

    /** {@code challenge} with another salt (the signed challenge and signature kept). */
    static Challenge withSalt(Challenge challenge, String salt) {
        return new Challenge(challenge.algorithm(), challenge.challenge(), challenge.maxnumber(), salt,
                challenge.signature());
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String sha256Hex(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void a_solved_puzzle_joins_its_user_to_its_sale_on_any_node_with_the_key() throws Exception {
        Challenge challenge = puzzle.challenge("Q1", "alice", 10);
        assertEquals("SHA-256", challenge.algorithm());
        assertEquals(1023, challenge.maxnumber());
        assertTrue(challenge.salt().matches("[0-9a-f]{24}\\?sale=Q1&user=alice&bits=10&expires="
                + (NOW + JoinPuzzle.TTL_MS) / 1000 + "&"), challenge::salt);
        long number = number(challenge);
        assertEquals(challenge.challenge(), sha256Hex(challenge.salt() + number), "ALTCHA's rule: SHA-256(salt + number)");
        assertEquals(Verdict.SOLVED, puzzle.verify(JoinPuzzle.proof(challenge, number), "Q1", "alice", 10));
        JoinPuzzle otherNode = new JoinPuzzle(KEY.clone(), clock::get);
        assertEquals(Verdict.SOLVED, otherNode.verify(JoinPuzzle.proof(challenge, number), "Q1", "alice", 10));
    }

    @Test
    void a_wrong_number_joins_nobody() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 8);
        long number = number(challenge);
        long wrong = number == 0 ? 1 : number - 1;
        assertEquals(Verdict.UNSOLVED, puzzle.verify(JoinPuzzle.proof(challenge, wrong), "Q1", "alice", 8));
        assertEquals(Verdict.SOLVED, puzzle.verify(JoinPuzzle.proof(challenge, number), "Q1", "alice", 8));
    }

    @Test
    void a_proof_replayed_by_another_user_or_for_another_sale_joins_nobody() {
        String alices = solve(puzzle.challenge("Q1", "alice", 8));
        assertEquals(Verdict.OTHER_USER, puzzle.verify(alices, "Q1", "bob", 8));
        assertEquals(Verdict.OTHER_USER, puzzle.verify(alices, "Q1", "alice1", 8));
        assertEquals(Verdict.OTHER_SALE, puzzle.verify(alices, "Q2", "alice", 8));
        assertEquals(Verdict.SOLVED, puzzle.verify(alices, "Q1", "alice", 8), "still alice's, for Q1");
        String bobs = solve(puzzle.challenge("Q1", "bob", 8));
        assertEquals(Verdict.OTHER_USER, puzzle.verify(bobs, "Q1", "alice", 8));
        assertEquals(Verdict.SOLVED, puzzle.verify(bobs, "Q1", "bob", 8));
    }

    @Test
    void a_salt_edited_to_name_another_user_sale_or_expiry_joins_nobody() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 8);
        long number = number(challenge);
        String salt = challenge.salt();
        // the signature and challenge are kept, so the edit is only caught by the hash of the salt
        String bobs = JoinPuzzle.proof(withSalt(challenge, salt.replace("&user=alice&", "&user=bob&")), number);
        assertEquals(Verdict.UNSOLVED, puzzle.verify(bobs, "Q1", "bob", 8));
        String q2s = JoinPuzzle.proof(withSalt(challenge, salt.replace("?sale=Q1&", "?sale=Q2&")), number);
        assertEquals(Verdict.UNSOLVED, puzzle.verify(q2s, "Q2", "alice", 8));
        String later = JoinPuzzle.proof(withSalt(challenge, salt.replaceFirst("expires=\\d+", "expires=99999999999")),
                number);
        clock.set(NOW + JoinPuzzle.TTL_MS + 1000);
        assertEquals(Verdict.UNSOLVED, puzzle.verify(later, "Q1", "alice", 8));
    }

    @Test
    void a_puzzle_expires_after_its_time() {
        String proof = solve(puzzle.challenge("Q1", "alice", 8));
        clock.set(NOW + JoinPuzzle.TTL_MS);
        assertEquals(Verdict.SOLVED, puzzle.verify(proof, "Q1", "alice", 8), "at its last millisecond");
        clock.set(NOW + JoinPuzzle.TTL_MS + 1);
        assertEquals(Verdict.EXPIRED, puzzle.verify(proof, "Q1", "alice", 8));
    }

    @Test
    void a_puzzle_easier_than_the_sales_joins_nobody() {
        String easy = solve(puzzle.challenge("Q1", "alice", 4));
        assertEquals(Verdict.TOO_EASY, puzzle.verify(easy, "Q1", "alice", 5));
        assertEquals(Verdict.SOLVED, puzzle.verify(easy, "Q1", "alice", 4));
        assertEquals(Verdict.SOLVED, puzzle.verify(easy, "Q1", "alice", 3), "a harder one than asked is fine");
    }

    @Test
    void a_puzzle_signed_with_another_key_or_a_signature_of_ones_own_joins_nobody() throws Exception {
        JoinPuzzle stranger = new JoinPuzzle("another key, not the cluster's!".getBytes(StandardCharsets.US_ASCII),
                clock::get);
        assertEquals(Verdict.FORGED, puzzle.verify(solve(stranger.challenge("Q1", "alice", 8)), "Q1", "alice", 8));
        // a challenge of one's own, already solved (number 0), under the node's signature of another
        Challenge real = puzzle.challenge("Q1", "alice", 8);
        Challenge own = new Challenge(real.algorithm(), sha256Hex(real.salt() + 0), real.maxnumber(), real.salt(),
                real.signature());
        assertEquals(Verdict.FORGED, puzzle.verify(JoinPuzzle.proof(own, 0), "Q1", "alice", 8));
        // the signature one hex digit off
        char last = real.signature().charAt(63);
        Challenge altered = new Challenge(real.algorithm(), real.challenge(), real.maxnumber(), real.salt(),
                real.signature().substring(0, 63) + (last == '0' ? '1' : '0'));
        assertEquals(Verdict.FORGED, puzzle.verify(JoinPuzzle.proof(altered, number(real)), "Q1", "alice", 8));
        assertEquals(Verdict.SOLVED, puzzle.verify(solve(real), "Q1", "alice", 8));
    }

    @Test
    void digits_moved_from_the_number_into_the_salt_join_nobody() throws Exception {
        // salt + number is what is hashed: "...&" + "123" is also "...&1" + "23" (ALTCHA's salt splicing advisory)
        Challenge challenge = null;
        long number = -1;
        for (int tries = 0; tries < 20 && !(number >= 10 && Long.toString(number).charAt(1) != '0'); tries++) {
            // a number of two digits or more whose second is not 0 (moving the first leaves a number of its own)
            challenge = puzzle.challenge("Q1", "alice", 12);
            number = number(challenge);
        }
        assertTrue(number >= 10 && Long.toString(number).charAt(1) != '0', "20 puzzles drew no number to splice");
        String digits = Long.toString(number);
        String spliced = challenge.salt() + digits.charAt(0);
        long rest = Long.parseLong(digits.substring(1));
        assertEquals(challenge.challenge(), sha256Hex(spliced + rest), "the same text is hashed");
        assertEquals(Verdict.MALFORMED, puzzle.verify(JoinPuzzle.proof(withSalt(challenge, spliced), rest), "Q1",
                "alice", 12));
    }

    @Test
    void what_is_not_a_payload_of_this_puzzle_joins_nobody() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 6);
        String good = new String(Base64.getDecoder().decode(solve(challenge)), StandardCharsets.UTF_8);
        assertAll(
                () -> assertEquals(Verdict.MISSING, puzzle.verify(null, "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MISSING, puzzle.verify(" ", "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify("not base64!", "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(base64("[1,2]"), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(base64("{"), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(base64(good.replace("\"SHA-256\"", "\"SHA-1\"")),
                        "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(
                        base64(good.replaceFirst("\"number\":\\d+", "\"number\":\"7\"")), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(
                        base64(good.replaceFirst("\"number\":\\d+", "\"number\":-1")), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(
                        base64(good.replaceFirst("\"number\":\\d+", "\"number\":1.5")), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(
                        base64(good.replaceFirst(",\"signature\":\"[0-9a-f]+\"", "")), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(
                        base64(good.replace(challenge.salt(), "Q1 alice")), "Q1", "alice", 6)),
                // a payload that would solve, padded past 2048 characters: nobody's
                () -> assertEquals(Verdict.MALFORMED, puzzle.verify(base64(good + " ".repeat(1600)), "Q1", "alice", 6)),
                () -> assertEquals(Verdict.SOLVED, puzzle.verify(base64(good), "Q1", "alice", 6), "the untouched one"));
    }

    @Test
    void a_puzzle_of_n_bits_is_a_number_drawn_from_two_to_the_n() {
        for (int bits = 1; bits <= JoinPuzzle.MAX_BITS; bits++) {
            assertEquals((1L << bits) - 1, puzzle.challenge("Q1", "alice", bits).maxnumber(), "bits " + bits);
        }
        // at 4 bits, every one of the 16 numbers is drawn, and none above (400 draws miss one with odds 1e-10)
        Set<Long> drawn = new TreeSet<>();
        for (int i = 0; i < 400; i++) {
            drawn.add(number(puzzle.challenge("Q1", "alice", 4)));
        }
        assertEquals(new TreeSet<>(Arrays.asList(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L)),
                drawn);
        // at 10 bits the work is 2^9 hashes on average: the mean of 400 uniform draws from [0, 1023] is 511.5,
        // with a standard deviation of 295.6 / sqrt(400) = 14.8; six of them either side fail once in 5e8 runs
        long sum = 0;
        for (int i = 0; i < 400; i++) {
            sum += number(puzzle.challenge("Q1", "alice", 10));
        }
        double mean = sum / 400.0;
        assertTrue(Math.abs(mean - 511.5) <= 6 * 14.8, () -> "the mean number of 400 puzzles of 10 bits is " + mean);
    }

    @Test
    void a_difficulty_outside_one_to_thirty_bits_and_a_short_key_are_refused() {
        assertThrows(IllegalArgumentException.class, () -> puzzle.challenge("Q1", "alice", 0));
        assertThrows(IllegalArgumentException.class, () -> puzzle.challenge("Q1", "alice", 31));
        assertThrows(IllegalArgumentException.class, () -> puzzle.verify("x", "Q1", "alice", 0));
        assertThrows(IllegalArgumentException.class, () -> new JoinPuzzle(new byte[15], clock::get));
    }

    /** What a verification costs (printed, not asserted: the machine is shared). */
    @Test
    void verification_time_is_printed() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 8);
        String proof = solve(challenge);
        int rounds = 20_000;
        long[] took = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long started = System.nanoTime();
            Verdict verdict = puzzle.verify(proof, "Q1", "alice", 8);
            took[i] = System.nanoTime() - started;
            assertEquals(Verdict.SOLVED, verdict);
        }
        Arrays.sort(took);
        System.out.printf("JoinPuzzle.verify: median %.1f us, p99 %.1f us (%d rounds, the last half after warm-up)%n",
                median(Arrays.copyOfRange(took, rounds / 2, rounds)) / 1000.0, took[rounds * 99 / 100] / 1000.0,
                rounds);
    }

    private static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
