package lockserver.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes for the config file: {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} (salt and
 * hash in base64), made by {@code lockserver --hash-password}. Verification compares in
 * constant time. Stateless and thread-safe.
 */
public final class PasswordHash {
    static final String SCHEME = "pbkdf2-sha256";
    private static final int ITERATIONS = 210_000;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;

    private final String stored;
    private final int iterations;
    private final byte[] salt;
    private final byte[] hash;

    private PasswordHash(String stored, int iterations, byte[] salt, byte[] hash) {
        this.stored = stored;
        this.iterations = iterations;
        this.salt = salt;
        this.hash = hash;
    }

    /** Parses a stored hash; throws IllegalArgumentException with a plain reason if it is not one. */
    public static PasswordHash parse(String stored) {
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            throw new IllegalArgumentException("not a password hash: expected " + SCHEME
                    + "$ITERATIONS$SALT$HASH as printed by lockserver --hash-password");
        }
        try {
            int iterations = Integer.parseInt(parts[1]);
            byte[] salt = Base64.getDecoder().decode(parts[2]);
            byte[] hash = Base64.getDecoder().decode(parts[3]);
            if (iterations < 1000 || salt.length < 8 || hash.length != HASH_BITS / 8) {
                throw new IllegalArgumentException("password hash too weak or truncated");
            }
            return new PasswordHash(stored, iterations, salt, hash);
        } catch (IllegalArgumentException e) { // NumberFormatException, or bad base64
            if (e.getMessage() != null && e.getMessage().startsWith("password hash too weak")) {
                throw e;
            }
            throw new IllegalArgumentException("password hash is damaged: " + e.getMessage());
        }
    }

    /** A new hash of {@code password} with a random salt, in the stored form. */
    public static String create(char[] password) {
        byte[] salt = new byte[SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        return SCHEME + "$" + ITERATIONS + "$" + Base64.getEncoder().encodeToString(salt) + "$"
                + Base64.getEncoder().encodeToString(derive(password, salt, ITERATIONS));
    }

    public boolean matches(String password) {
        return MessageDigest.isEqual(hash, derive(password.toCharArray(), salt, iterations));
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PasswordHash other && other.stored.equals(stored);
    }

    @Override
    public int hashCode() {
        return stored.hashCode();
    }

    /** Digests are costly to look up and safe to reuse one call at a time, so each thread keeps one. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    /** A fast digest of a password already verified, so repeat requests skip PBKDF2. */
    static byte[] fingerprint(String password) {
        return SHA256.get().digest(password.getBytes(StandardCharsets.UTF_8));
    }
}
