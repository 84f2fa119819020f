package lockserver.server.web;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * A read-only page served by GET, sent with the one header policy of every page: nothing
 * loaded from anywhere, no script, no frame around it, no sniffing, no referrer; the only
 * style allowed is {@link #STYLESHEET}, by its hash. TRACE, which {@link HttpServlet} would
 * answer by echoing the request (headers and all), is refused with 405 like the other
 * methods it lacks.
 */
abstract class PageServlet extends HttpServlet {
    /** The pages' one stylesheet, inlined in a {@code <style>} element as is. */
    static final String STYLESHEET = "body{font-family:sans-serif;margin:1.5em}"
            + "table{border-collapse:collapse;margin:.4em 0 1.2em 1.2em}"
            + "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#eee}"
            + ".full{color:#a00}.free{color:#070}.retired{color:#888}"
            + "details.lock{border-bottom:1px solid #e4e4e4;padding:.2em 0}summary{cursor:pointer;white-space:nowrap}"
            + "summary .name{display:inline-block;min-width:16em;font-weight:bold}"
            + "summary svg{vertical-align:middle;margin-right:.8em}"
            + ".charts{display:flex;flex-wrap:wrap;gap:1.5em;margin:.6em 0 .8em 1.2em}"
            + "figure{margin:0}figcaption{font-size:.85em;color:#444}";
    static final String POLICY = "default-src 'none'; style-src 'sha256-" + sha256(STYLESHEET)
            + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        resp.setHeader("Content-Security-Policy", POLICY);
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setHeader("Referrer-Policy", "no-referrer");
        super.service(req, resp);
    }

    @Override
    protected void doTrace(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
    }

    private static String sha256(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
