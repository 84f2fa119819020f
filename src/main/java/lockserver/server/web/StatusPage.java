package lockserver.server.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import lockserver.core.LockDetail;
import java.util.function.Supplier;
import lockserver.core.LockRegistry;

/**
 * {@code GET /} and {@code /status}: a small HTML page for operators with each lock's
 * size, holders (info, held for, fencing token) and queue, refreshing itself every few
 * seconds. It never shows ticket ids, which would let a reader release slots.
 */
public final class StatusPage extends PageServlet {
    private static final int REFRESH_SECONDS = 5;
    private final transient Supplier<LockRegistry> registry;
    private final transient Supplier<ClusterStatus> cluster; // null on a single server

    public StatusPage(Supplier<LockRegistry> registry, Supplier<ClusterStatus> cluster) {
        this.registry = registry;
        this.cluster = cluster;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getServletPath();
        if (!path.equals("/") && !path.equals("/status")) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        byte[] body = render(registry.get().details(), cluster == null ? null : cluster.get()).getBytes(StandardCharsets.UTF_8);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    static String render(List<LockDetail> locks, ClusterStatus node) {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
                .append("<title>lockserver status</title><style>")
                .append("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.4em 0 1.2em}")
                .append("th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#eee}")
                .append(".full{color:#a00}.free{color:#070}.retired{color:#888}</style></head><body>\n")
                .append("<h1>lockserver</h1>\n<p>").append(locks.size()).append(" lock(s); this page refreshes every ")
                .append(REFRESH_SECONDS).append(" s.</p>\n");
        if (node != null) {
            h.append("<p class=\"cluster\">cluster node ").append(escape(node.node())).append(": <b>")
                    .append(escape(node.role())).append("</b>, leader ")
                    .append(node.leader().isEmpty() ? "none (no majority reachable)" : escape(node.leader()))
                    .append(", term ").append(node.term()).append("</p>\n");
        }
        for (LockDetail lock : locks) {
            int size = lock.settings().size();
            int taken = lock.used() + lock.delayed();
            h.append("<section class=\"lock\" id=\"lock-").append(escape(lock.name())).append("\"><h2>")
                    .append(escape(lock.name())).append(" <span class=\"").append(taken >= size ? "full" : "free")
                    .append("\">").append(lock.used()).append(" of ").append(size).append(" slots in use</span> by ")
                    .append(lock.holders().size()).append(" holder(s), ").append(lock.queue().size()).append(" queued");
            if (lock.delayed() > 0) {
                h.append(", <span class=\"delayed\">").append(lock.delayed())
                        .append(" delayed (LOCK_DELAY) for up to ").append(duration(maxLeft(lock))).append("</span>");
            }
            if (lock.retired()) {
                h.append(" <span class=\"retired\">(removed from the config, draining)</span>");
            }
            h.append("</h2>\n");
            if (!lock.holders().isEmpty()) {
                h.append("<table class=\"holders\"><tr><th>holder</th><th>slots</th><th>held for</th><th>token</th>")
                        .append("<th>last seen</th><th>revoked</th></tr>\n");
                for (LockDetail.Holder t : lock.holders()) {
                    h.append("<tr><td>").append(escape(t.info())).append("</td><td>").append(t.slots())
                            .append("</td><td>").append(duration(t.ageNanos()))
                            .append("</td><td>").append(t.token()).append("</td><td>")
                            .append(duration(t.idleNanos())).append(" ago</td><td>")
                            .append(t.revoke().isEmpty() ? "" : escape(t.revoke()) + " (ends in "
                                    + duration(t.revokeInNanos()) + ")").append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
            if (!lock.queue().isEmpty()) {
                h.append("<table class=\"queue\"><tr><th>#</th><th>waiting</th><th>slots</th><th>priority</th>")
                        .append("<th>waited</th></tr>\n");
                int position = 0;
                for (LockDetail.Holder t : lock.queue()) {
                    h.append("<tr><td>").append(++position).append("</td><td>").append(escape(t.info()))
                            .append("</td><td>").append(t.slots()).append("</td><td>").append(t.priority())
                            .append("</td><td>").append(duration(t.ageNanos())).append("</td></tr>\n");
                }
                h.append("</table>\n");
            }
            h.append("</section>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static long maxLeft(LockDetail lock) {
        long left = 0;
        for (LockDetail.Delay d : lock.delays()) {
            left = Math.max(left, d.leftNanos());
        }
        return left;
    }

    static String duration(long nanos) {
        long s = nanos / 1_000_000_000L;
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
        }
        return s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
