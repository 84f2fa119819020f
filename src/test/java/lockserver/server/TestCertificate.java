package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost made by the JDK's keytool, valid two
 * days: the server's PKCS12 {@code keystore} (password {@link #PASSWORD}) and the certificate
 * alone as PEM, the {@code ca} file a client trusts.
 */
public record TestCertificate(Path keystore, Path ca) {
    public static final String PASSWORD = "changeit";

    /** Makes one in {@code dir} with the common name {@code cn}. */
    public static TestCertificate selfSigned(Path dir, String cn) throws Exception {
        TestCertificate c = new TestCertificate(dir.resolve("server.p12"), dir.resolve("server.pem"));
        keytool("-genkeypair", "-alias", "lockserver", "-keyalg", "EC", "-groupname", "secp256r1",
                "-validity", "2", "-dname", "CN=" + cn, "-ext", "san=ip:127.0.0.1,dns:localhost",
                "-keystore", c.keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "lockserver", "-keystore", c.keystore.toString(),
                "-storepass", PASSWORD, "-file", c.ca.toString());
        return c;
    }

    /** The [general] lines of a server that uses it, as one text. */
    public String serverSettings() {
        return "TLS_KEYSTORE=" + keystore + "\nTLS_KEYSTORE_PASSWORD=" + PASSWORD;
    }

    private static void keytool(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue("keytool did not finish in 60 s", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
    }
}
