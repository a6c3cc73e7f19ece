package io.ticketrush.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The verifier's rules, token by token: what names a user, and what a stranger tries that names nobody. */
class TokenVerifierTest {
    private Path dir;
    private OctetSequenceKey key;
    private Path keysFile;
    private TokenVerifier verifier;

    @BeforeEach
    void keys() throws Exception {
        dir = Files.createTempDirectory("rush-tokens-");
        key = TestTokens.secret("k1");
        keysFile = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
        verifier = new TokenVerifier(TokenKeys.of(keysFile, null), 30, Set.of());
    }

    @AfterEach
    void clean() {
        TempFiles.deleteRecursively(dir);
    }

    private String refusal(String token) {
        return assertThrows(InvalidTokenException.class, () -> verifier.subject(token)).getMessage();
    }

    @Test
    void a_token_signed_with_the_operators_key_names_its_subject() {
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, "alice")));
    }

    @Test
    void an_expired_token_names_nobody_once_past_the_leeway_and_is_still_good_within_it() {
        Instant now = Instant.now();
        assertTrue(refusal(TestTokens.hs256(key, TestTokens.claims("alice", now.minusSeconds(31)))).contains("xpired"));
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, TestTokens.claims("alice", now.minusSeconds(20)))));
    }

    @Test
    void a_token_not_valid_yet_or_issued_in_the_future_names_nobody() {
        Instant now = Instant.now();
        JWTClaimsSet early = new JWTClaimsSet.Builder().subject("alice").expirationTime(Date.from(now.plusSeconds(600)))
                .notBeforeTime(Date.from(now.plusSeconds(120))).build();
        assertTrue(refusal(TestTokens.hs256(key, early)).contains("before"), refusal(TestTokens.hs256(key, early)));
        JWTClaimsSet future = new JWTClaimsSet.Builder().subject("alice").expirationTime(Date.from(now.plusSeconds(600)))
                .issueTime(Date.from(now.plusSeconds(120))).build();
        assertTrue(refusal(TestTokens.hs256(key, future)).contains("future"));
    }

    @Test
    void a_token_forged_with_another_key_under_the_right_kid_names_nobody() {
        OctetSequenceKey forger = TestTokens.secret("k1");
        assertTrue(refusal(TestTokens.hs256(forger, "alice")).contains("Invalid signature"));
    }

    @Test
    void an_unsigned_alg_none_token_names_nobody() {
        assertTrue(refusal(TestTokens.algNone("k1", "alice")).startsWith("not a signed JWT"));
    }

    @Test
    void a_token_naming_an_unknown_key_or_no_key_names_nobody() {
        assertEquals("unknown key 'k9'", refusal(TestTokens.hs256(TestTokens.secret("k9"), "alice")));
        String noKid = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).build(),
                TestTokens.claims("alice", Instant.now().plusSeconds(60)), signer(key));
        assertEquals("the token names no key (kid)", refusal(noKid));
    }

    @Test
    void an_algorithm_other_than_hs256_es256_rs256_names_nobody_even_with_the_right_secret() throws Exception {
        OctetSequenceKey long512 = new OctetSequenceKey.Builder(new byte[64]).keyID("k1").build();
        String hs512 = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS512).keyID("k1").build(),
                TestTokens.claims("alice", Instant.now().plusSeconds(60)), new MACSigner(long512));
        assertTrue(refusal(hs512).startsWith("algorithm HS512 is not accepted"));
    }

    @Test
    void a_site_public_key_is_never_an_hmac_secret() throws Exception {
        RSAKey site = TestTokens.rsaKey("site-rsa");
        Path jwks = TestTokens.write(dir.resolve("jwks.json"), List.of(site.toPublicJWK()));
        verifier = new TokenVerifier(TokenKeys.of(keysFile, jwks), 30, Set.of());
        // the classic confusion: HS256 "signed" with the public key's bytes, naming the RSA key
        byte[] publicBytes = site.toPublicKey().getEncoded();
        String confused = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("site-rsa").build(),
                TestTokens.claims("alice", Instant.now().plusSeconds(60)), new MACSigner(publicBytes));
        assertTrue(refusal(confused).contains("no matching key"), refusal(confused));
        assertEquals("alice", verifier.subject(TestTokens.rs256(site, "alice")));
    }

    @Test
    void es256_and_rs256_tokens_of_a_sites_own_login_name_their_subject() {
        ECKey ec = TestTokens.ecKey("site-ec");
        RSAKey rsa = TestTokens.rsaKey("site-rsa");
        Path jwks = TestTokens.write(dir.resolve("jwks.json"), List.of(ec.toPublicJWK(), rsa.toPublicJWK()));
        verifier = new TokenVerifier(TokenKeys.of(null, jwks), 30, Set.of());
        assertEquals("carol", verifier.subject(TestTokens.es256(ec, "carol")));
        assertEquals("dave", verifier.subject(TestTokens.rs256(rsa, "dave")));
        assertTrue(refusal(TestTokens.es256(TestTokens.ecKey("site-ec"), "carol")).contains("Invalid signature"));
        assertEquals("unknown key 'k1'", refusal(TestTokens.hs256(key, "alice")), "no operator keys here");
    }

    @Test
    void a_public_key_set_holding_a_private_key_or_a_secret_is_refused_at_the_start() {
        Path withPrivate = TestTokens.write(dir.resolve("private.json"), List.of(TestTokens.ecKey("e1")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenKeys.of(null, withPrivate));
        assertTrue(e.getMessage().contains("without their private part"), e.getMessage());
        Path withSecret = TestTokens.write(dir.resolve("secret.json"), List.of(TestTokens.secret("s1")));
        assertThrows(IllegalArgumentException.class, () -> TokenKeys.of(null, withSecret));
        Path shortSecret = TestTokens.write(dir.resolve("short.json"),
                List.of(new OctetSequenceKey.Builder(new byte[16]).keyID("short").build()));
        assertThrows(IllegalArgumentException.class, () -> TokenKeys.of(shortSecret, null));
    }

    @Test
    void a_token_longer_than_any_login_issues_is_refused_unread() {
        JWTClaimsSet big = new JWTClaimsSet.Builder(TestTokens.claims("alice", Instant.now().plusSeconds(60)))
                .claim("pad", "x".repeat(TokenVerifier.MAX_TOKEN_CHARS)).build();
        String padded = TestTokens.hs256(key, big);
        assertTrue(refusal(padded).startsWith("the token is longer than"), refusal(padded));
    }

    @Test
    void sub_and_exp_are_required_and_sub_must_be_a_user_id() {
        JWTClaimsSet noSub = new JWTClaimsSet.Builder().expirationTime(Date.from(Instant.now().plusSeconds(60)))
                .build();
        assertTrue(refusal(TestTokens.hs256(key, noSub)).contains("sub"));
        JWTClaimsSet noExp = new JWTClaimsSet.Builder().subject("alice").build();
        assertTrue(refusal(TestTokens.hs256(key, noExp)).contains("exp"));
        assertTrue(refusal(TestTokens.hs256(key, "auth0|alice")).startsWith("sub is not a user id"));
    }

    @Test
    void an_audience_when_set_must_be_named() {
        verifier = new TokenVerifier(TokenKeys.of(keysFile, null), 30, Set.of("ticket-rush"));
        JWTClaimsSet ours = new JWTClaimsSet.Builder().subject("alice").audience("ticket-rush")
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).build();
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, ours)));
        assertTrue(refusal(TestTokens.hs256(key, "alice")).contains("aud"));
    }

    @Test
    void two_keys_verify_at_once_and_the_newest_signs() {
        OctetSequenceKey newer = TestTokens.secret("k2");
        TestTokens.write(keysFile, List.of(key, newer));
        TokenKeys keys = TokenKeys.of(keysFile, null);
        verifier = new TokenVerifier(keys, 30, Set.of());
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, "alice")));
        assertEquals("bob", verifier.subject(TestTokens.hs256(newer, "bob")));
        String issued = new TokenIssuer(keys).issue("carol", 60, System.currentTimeMillis()).value();
        assertEquals("k2", headerKid(issued), "the last key of the file signs");
        assertEquals("carol", verifier.subject(issued));
    }

    @Test
    void a_key_added_to_the_file_while_running_verifies_within_a_second_or_two() throws Exception {
        OctetSequenceKey newer = TestTokens.secret("k2");
        String token = TestTokens.hs256(newer, "bob");
        assertEquals("unknown key 'k2'", refusal(token));
        String kid = OperatorKeys.rotate(keysFile, Instant.now());
        assertTrue(kid.startsWith("k-"), kid);
        // the rotation wrote a key of its own; the test's own "k2" is added as an operator would
        TestTokens.write(keysFile, List.of(key, newer));
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "the verifier to read the keys file again", () -> {
            try {
                return "bob".equals(verifier.subject(token));
            } catch (InvalidTokenException e) {
                return false;
            }
        });
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, "alice")), "the older key still verifies");
    }

    @Test
    void a_token_verified_before_is_remembered_only_until_it_expires() {
        long[] now = {System.currentTimeMillis()};
        verifier = new TokenVerifier(TokenKeys.of(keysFile, null), 30, Set.of(), () -> now[0]);
        String token = TestTokens.hs256(key, TestTokens.claims("alice", Instant.ofEpochMilli(now[0]).plusSeconds(60)));
        assertEquals("alice", verifier.subject(token));
        now[0] += 60_000 + 29_000;
        assertEquals("alice", verifier.subject(token), "expired, but within the leeway");
        now[0] += 2_000;
        assertTrue(refusal(token).contains("xpired"), "remembered or not, an expired token names nobody");
    }

    @Test
    void the_tokens_remembered_are_bounded_however_many_buyers_come() {
        for (int i = 0; i <= TokenVerifier.REMEMBERED; i++) {
            assertEquals("u" + i, verifier.subject(TestTokens.hs256(key, "u" + i)));
        }
        assertTrue(verifier.remembered() <= TokenVerifier.REMEMBERED, () -> verifier.remembered() + " remembered");
        assertTrue(verifier.remembered() >= 1, "the last one is");
    }

    @Test
    void a_token_verified_before_its_key_was_retired_names_nobody_after() {
        String token = TestTokens.hs256(key, "alice");
        assertEquals("alice", verifier.subject(token));
        TestTokens.write(keysFile, List.of(TestTokens.secret("k2")));
        Deadline.await(TimeScale.of(Duration.ofSeconds(5)), "the verifier to forget key k1", () -> {
            try {
                verifier.subject(token);
                return false;
            } catch (InvalidTokenException e) {
                return e.getMessage().equals("unknown key 'k1'");
            }
        });
    }

    @Test
    void a_rotation_keeps_the_key_before_it_and_drops_older_ones() throws Exception {
        String second = OperatorKeys.rotate(keysFile, Instant.now());
        String third = OperatorKeys.rotate(keysFile, Instant.now());
        TokenKeys keys = TokenKeys.of(keysFile, null);
        assertEquals("[" + second + ", " + third + "]", KeyFile.kids(JWKSet.load(keysFile.toFile())));
        assertEquals(third, keys.signing().orElseThrow().getKeyID());
        verifier = new TokenVerifier(keys, 30, Set.of());
        assertEquals("unknown key 'k1'", refusal(TestTokens.hs256(key, "alice")), "two rotations ago: gone");
        String token = new TokenIssuer(keys).issue("alice", 60, System.currentTimeMillis()).value();
        OperatorKeys.rotate(keysFile, Instant.now());
        assertEquals("alice", new TokenVerifier(TokenKeys.of(keysFile, null), 30, Set.of()).subject(token),
                "a token of the key before the newest still verifies");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keysFile)));
    }

    @Test
    void a_plain_hs256_token_is_checked_quickly_its_header_judged_once() {
        assertEquals("alice", verifier.subject(TestTokens.hs256(key, "alice")));
        assertEquals("bob", verifier.subject(TestTokens.hs256(key, "bob")));
        assertEquals(1, verifier.headersRemembered(), "two tokens of one header: one verdict, kept for the next");
    }

    @Test
    void a_header_with_more_than_alg_kid_and_typ_is_never_checked_quickly() {
        // nimbus refuses a critical parameter it does not know; a quick check that took this header
        // as plain would accept the token
        String critical = TestTokens.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1")
                .criticalParams(Set.of("exotic")).customParam("exotic", "yes").build(),
                TestTokens.claims("alice", Instant.now().plusSeconds(60)), signer(key));
        assertTrue(refusal(critical).contains("Invalid signature"), refusal(critical));
        assertEquals(0, verifier.headersRemembered(), "no verdict kept for a header that is not plain");
    }

    @Test
    void the_headers_judged_are_bounded_however_many_kinds_come() throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(key.toSecretKey());
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String claims = base64.encodeToString(("{\"sub\":\"alice\",\"exp\":" + (Instant.now().getEpochSecond() + 60)
                + "}").getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i <= 2 * TokenVerifier.HEADERS_REMEMBERED; i++) {
            // the same header, written with i spaces: another text each time
            String header = base64.encodeToString(("{\"alg\":\"HS256\"," + " ".repeat(i) + "\"kid\":\"k1\"}")
                    .getBytes(StandardCharsets.UTF_8));
            String signed = header + "." + claims;
            String token = signed + "." + base64.encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
            assertEquals("alice", verifier.subject(token));
            assertTrue(verifier.headersRemembered() <= TokenVerifier.HEADERS_REMEMBERED,
                    () -> verifier.headersRemembered() + " headers remembered");
        }
    }

    /** A token of the plain header our issuer writes, its claims exactly {@code claimsJson}, signed with {@code with}. */
    private static String plain(OctetSequenceKey with, String claimsJson) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(with.toSecretKey());
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String signed = base64.encodeToString(("{\"kid\":\"" + with.getKeyID() + "\",\"typ\":\"JWT\",\"alg\":\"HS256\"}")
                .getBytes(StandardCharsets.UTF_8)) + "." + base64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
        return signed + "." + base64.encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void our_issuers_claims_are_read_by_hand_exactly_as_nimbus_reads_them() throws Exception {
        long now = Instant.now().getEpochSecond();
        List<String> ours = List.of(
                "{\"sub\":\"u1\",\"iss\":\"ticket-rush\",\"exp\":" + (now + 60) + ",\"iat\":" + now + "}",
                "{\"sub\":\"a.b@c-d_e\",\"aud\":\"https://rush.example/x:1\",\"nbf\":" + now + ",\"exp\":" + (now + 60) + "}",
                "{\"exp\":0,\"sub\":\"z\"}");
        for (String json : ours) {
            JWTClaimsSet byHand = TokenVerifier.plainClaims(json);
            assertTrue(byHand != null, json + " read by hand");
            assertEquals(JWTClaimsSet.parse(json).toJSONObject(), byHand.toJSONObject(), json);
        }
        String issued = new TokenIssuer(TokenKeys.of(keysFile, null)).issue("alice", 600, System.currentTimeMillis()).value();
        String claims = new String(Base64.getUrlDecoder().decode(issued.split("\\.")[1]), StandardCharsets.UTF_8);
        assertEquals(JWTClaimsSet.parse(claims).toJSONObject(), TokenVerifier.plainClaims(claims).toJSONObject(),
                "what our issuer writes: " + claims);
        // anything else is nimbus's to read (and judge)
        List<String> others = List.of("{}", "{\"sub\":\"alice\",\"exp\":" + now + ",\"sub\":\"mallory\"}",
                "{\"sub\":\"alice\",\"exp\":\"" + now + "\"}", "{\"sub\":5,\"exp\":" + now + "}",
                "{\"sub\":\"alice\",\"exp\":" + now + ".5}", "{\"sub\":\"alice\",\"exp\":0" + now + "}",
                "{\"sub\":\"alice\",\"exp\":-1}", "{\"sub\":\"alice\",\"exp\":1234567890123}",
                "{\"sub\":\"alice\", \"exp\":" + now + "}", "{\"s\\u0075b\":\"alice\",\"exp\":" + now + "}",
                "{\"sub\":\"al\\\"ice\",\"exp\":" + now + "}", "{\"sub\":\"al\\u0069ce\",\"exp\":" + now + "}", "{\"sub\":\"alice\",\"exp\":" + now + ",\"role\":\"admin\"}",
                "{\"sub\":\"alice\",\"aud\":[\"a\"],\"exp\":" + now + "}", "{\"sub\":\"alice\",\"exp\":" + now + "}x",
                "{\"sub\":\"alice\",\"exp\":" + now + ",}", "{\"sub\":\"alice\",\"exp\":" + now + "}}");
        for (String json : others) {
            assertEquals(null, TokenVerifier.plainClaims(json), json);
        }
    }

    @Test
    void a_plain_tokens_claims_read_by_hand_are_refused_as_nimbus_refuses_them() throws Exception {
        long now = Instant.now().getEpochSecond();
        String good = "{\"sub\":\"alice\",\"iss\":\"ticket-rush\",\"exp\":" + (now + 600) + ",\"iat\":" + now + "}";
        assertEquals("alice", verifier.subject(plain(key, good)));
        String[] parts = plain(key, good).split("\\.");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                good.replace("alice", "mallo").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertTrue(refusal(tampered).contains("Invalid signature"), refusal(tampered));
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\",\"exp\":" + (now - 31) + "}")).contains("xpired"));
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\",\"nbf\":" + (now + 120) + ",\"exp\":" + (now + 600) + "}"))
                .contains("before"));
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\",\"iat\":" + (now + 120) + ",\"exp\":" + (now + 600) + "}"))
                .contains("future"));
        String twice = refusal(plain(key, "{\"sub\":\"alice\",\"exp\":" + (now + 600) + ",\"sub\":\"mallory\"}"));
        assertTrue(twice.contains("not a valid JSON object"), "a claim twice: " + twice);
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\",\"exp\":\"" + (now + 600) + "\"}")).contains("exp"),
                "exp of another type");
        assertTrue(refusal(plain(key, "{\"exp\":" + (now + 600) + "}")).contains("sub"));
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\"}")).contains("exp"));
        assertTrue(refusal(plain(key, "{\"sub\":\"auth0:alice\",\"exp\":" + (now + 600) + "}")).startsWith("sub is not a user id"));
        assertTrue(refusal(plain(TestTokens.secret("k1"), good)).contains("Invalid signature"), "another secret, the right kid");
        verifier = new TokenVerifier(TokenKeys.of(keysFile, null), 30, Set.of("ticket-rush"));
        assertEquals("alice", verifier.subject(plain(key, "{\"sub\":\"alice\",\"aud\":\"ticket-rush\",\"exp\":" + (now + 600) + "}")));
        assertTrue(refusal(plain(key, "{\"sub\":\"alice\",\"aud\":\"elsewhere\",\"exp\":" + (now + 600) + "}"))
                .contains("aud"), "another audience");
        assertTrue(refusal(plain(key, good)).contains("aud"), "no audience");
    }

    private static MACSigner signer(OctetSequenceKey key) {
        try {
            return new MACSigner(key);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String headerKid(String token) {
        String header = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
                StandardCharsets.UTF_8);
        return JsonParser.parseString(header).getAsJsonObject().get("kid").getAsString();
    }
}
