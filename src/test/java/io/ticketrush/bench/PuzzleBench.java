package io.ticketrush.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.ticketrush.auth.JoinPuzzle;
import io.ticketrush.auth.JoinPuzzle.Challenge;
import io.ticketrush.auth.JoinPuzzle.Verdict;

/**
 * A buyer's cost of the waiting room's puzzle: the median and slowest time Java's solver takes at
 * 16, 18 and 20 bits, 21 puzzles each (docs/queue-puzzle.md). A bench, not a test: it prints.
 *
 * <pre>java -cp target/test-classes:target/classes:DEPENDENCIES io.ticketrush.bench.PuzzleBench</pre>
 */
public final class PuzzleBench {
    private PuzzleBench() {
    }

    public static void main(String[] args) {
        JoinPuzzle puzzle = new JoinPuzzle("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII),
                System::currentTimeMillis);
        for (int bits : new int[] {16, 18, 20}) {
            int solves = 21;
            long[] took = new long[solves];
            for (int i = 0; i < solves; i++) {
                Challenge challenge = puzzle.challenge("Q1", "alice", bits);
                long started = System.nanoTime();
                long number = JoinPuzzle.solve(challenge).orElseThrow();
                took[i] = System.nanoTime() - started;
                Verdict verdict = puzzle.verify(JoinPuzzle.proof(challenge, number), "Q1", "alice", bits);
                if (verdict != Verdict.SOLVED) {
                    throw new IllegalStateException("a solved puzzle was judged " + verdict);
                }
            }
            Arrays.sort(took);
            System.out.printf("JoinPuzzle.solve at %d bits: median %.0f ms, max %.0f ms (%d puzzles)%n", bits,
                    took[solves / 2] / 1e6, took[solves - 1] / 1e6, solves);
        }
    }
}
