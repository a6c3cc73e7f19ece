package io.ticketrush.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.auth.TokenKeys;
import io.ticketrush.auth.TokenVerifier;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;

/**
 * What knowing the buyer costs a node per request, on one thread: a token verified for the first
 * time (HS256 with the operator's key; ES256 and RS256 with a site's public key), a token the node
 * verified before (a buyer asking again: remembered), and a public order id made and read back.
 * Each is run once to warm up, then timed. Printed, not asserted: a figure for docs/identity.md.
 * Both the thread's CPU time and the wall time per operation: on a shared, busy machine the CPU
 * time is the one that says what a verification costs.
 *
 * <pre>java -cp target/test-classes:target/classes:DEPENDENCIES io.ticketrush.bench.TokenBench [SCALE]</pre>
 * (SCALE multiplies the operations timed, default 1)
 */
public final class TokenBench {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private TokenBench() {
    }

    public static void main(String[] args) throws Exception {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1;
        Path dir = Files.createTempDirectory("rush-token-bench-");
        try {
            OctetSequenceKey secret = TestTokens.secret("k1");
            ECKey ec = TestTokens.ecKey("site-ec");
            RSAKey rsa = TestTokens.rsaKey("site-rsa");
            Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(TestTokens.secret("k0"), secret));
            Path jwks = TestTokens.write(dir.resolve("jwks.json"), List.of(ec.toPublicJWK(), rsa.toPublicJWK()));
            TokenVerifier verifier = new TokenVerifier(TokenKeys.of(keys, jwks), 30, Set.of());
            PublicOrderIds ids = PublicOrderIds.ofRandomKey();
            String publicId = ids.toPublic("17960253412" + "0000017");
            System.out.printf("TokenBench: one thread (%s %s, %d cores)%n", System.getProperty("java.vm.name"),
                    System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
            time("HS256, first time (operator)", (int) (20_000 * scale), i -> TestTokens.hs256(secret, "u" + i),
                    verifier::subject);
            time("RS256, first time (site)", (int) (2_000 * scale), i -> TestTokens.rs256(rsa, "u" + i),
                    verifier::subject);
            time("ES256, first time (site)", (int) (300 * scale), i -> TestTokens.es256(ec, "u" + i),
                    verifier::subject);
            String again = TestTokens.es256(ec, "again");
            time("any token again (remembered)", (int) (1_000_000 * scale), i -> again, verifier::subject);
            time("public order id: make", (int) (1_000_000 * scale), i -> "17960253412" + "0000017", ids::toPublic);
            time("public order id: read", (int) (1_000_000 * scale), i -> publicId,
                    id -> ids.toInternal(id).orElseThrow());
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    /** Runs {@code op} on {@code n} inputs made beforehand (distinct tokens are never remembered), twice. */
    private static void time(String what, int n, IntFunction<String> input, Function<String, String> op) {
        for (int round = 0; round < 2; round++) {
            List<String> inputs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                inputs.add(input.apply(round * n + i));
            }
            long sink = 0;
            long cpu = CPU.getCurrentThreadCpuTime();
            long wall = System.nanoTime();
            for (String in : inputs) {
                sink += op.apply(in).length();
            }
            wall = System.nanoTime() - wall;
            cpu = CPU.getCurrentThreadCpuTime() - cpu;
            if (round == 1) { // the first round warms the JIT up
                System.out.printf("  %-30s %9.2f us/op CPU  %9.2f us/op wall  (%,d ops, %d)%n", what, cpu / 1e3 / n,
                        wall / 1e3 / n, n, sink % 10);
            }
        }
    }
}
