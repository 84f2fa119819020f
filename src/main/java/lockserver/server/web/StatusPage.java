package lockserver.server.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import lockserver.core.LockCounts;
import lockserver.core.LockDetail;
import lockserver.core.LockRegistry;

/**
 * {@code GET /} and {@code /status}: a small HTML page for operators, refreshing itself every
 * few seconds: a line per lock, busiest first (share of slots used, then queue length), that
 * opens on its last hour of slots used and queue length ({@link History}), the waits of its
 * recent grants, its first holders (info, held for, fencing token) and waiters; the busiest
 * few are open. It never shows ticket ids, which would let a reader release slots.
 */
public final class StatusPage extends PageServlet {
    private static final int REFRESH_SECONDS = 5;
    private static final int OPEN = 3; // the busiest locks shown open
    private static final int ROWS = 8; // holders or waiters shown per lock
    /** By share of slots taken (held, or closed by LOCK_DELAY), then queue length, then name. */
    static final Comparator<LockDetail> BUSIEST_FIRST = (a, b) -> {
        int c = Long.compare((long) taken(b) * a.settings().size(), (long) taken(a) * b.settings().size());
        c = c != 0 ? c : Integer.compare(b.queue().size(), a.queue().size());
        return c != 0 ? c : a.name().compareTo(b.name());
    };
    private static int taken(LockDetail lock) {
        return lock.used() + lock.delayed();
    }

    private final transient Supplier<LockRegistry> registry;
    private final transient History history;
    private final transient Supplier<ClusterStatus> cluster; // null on a single server

    public StatusPage(Supplier<LockRegistry> registry, History history, Supplier<ClusterStatus> cluster) {
        this.registry = registry;
        this.history = history;
        this.cluster = cluster;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path = req.getServletPath();
        if (!path.equals("/") && !path.equals("/status")) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        LockRegistry reg = registry.get();
        byte[] body = render(reg.details(), history, reg.counts(), cluster == null ? null : cluster.get())
                .getBytes(StandardCharsets.UTF_8);
        resp.setContentType("text/html; charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    static String render(List<LockDetail> locks, History history, Map<String, LockCounts> counts, ClusterStatus node) {
        StringBuilder h = new StringBuilder(4096 + locks.size() * 2048);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"").append(REFRESH_SECONDS).append("\">")
                .append("<title>lockserver status</title><style>").append(STYLESHEET).append("</style></head><body>\n")
                .append("<h1>lockserver</h1>\n<p>").append(locks.size()).append(" lock(s), busiest first; ")
                .append("charts show the last hour; this page refreshes every ").append(REFRESH_SECONDS)
                .append(" s.</p>\n");
        if (node != null) {
            h.append("<p class=\"cluster\">cluster node ").append(escape(node.node())).append(": <b>")
                    .append(escape(node.role())).append("</b>, leader ")
                    .append(node.leader().isEmpty() ? "none (no majority reachable)" : escape(node.leader()))
                    .append(", term ").append(node.term()).append("</p>\n");
        }
        List<LockDetail> ordered = new ArrayList<>(locks);
        ordered.sort(BUSIEST_FIRST);
        for (int i = 0; i < ordered.size(); i++) {
            LockDetail lock = ordered.get(i);
            History.Series series = history.of(lock.name());
            LockCounts c = counts.get(lock.name());
            summary(h, lock, series, i < OPEN);
            charts(h, lock, series, c == null ? new long[0] : c.recentWaits());
            holders(h, lock);
            h.append("</details>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static void summary(StringBuilder h, LockDetail lock, History.Series series, boolean open) {
        int size = lock.settings().size();
        String name = escape(lock.name());
        h.append("<details class=\"lock\" id=\"lock-").append(name).append("\" data-lock=\"").append(name)
                .append(open ? "\" open>" : "\">").append("<summary><span class=\"name\">").append(name)
                .append("</span>");
        Sparkline.steps(h, "spark", lock.name(), series.used(), History.SAMPLES, size, 120, 18, "#2b6cb0",
                lock.name() + ": slots used in the last hour");
        h.append("<span class=\"").append(taken(lock) >= size ? "full" : "free").append("\">")
                .append(lock.used()).append(" of ").append(size).append(" slots in use</span> by ")
                .append(lock.holders().size()).append(" holder(s), ").append(lock.queue().size()).append(" queued");
        if (lock.delayed() > 0) {
            h.append(", <span class=\"delayed\">").append(lock.delayed())
                    .append(" delayed (LOCK_DELAY) for up to ").append(duration(maxLeft(lock))).append("</span>");
        }
        if (lock.retired()) {
            h.append(" <span class=\"retired\">(removed from the config, draining)</span>");
        }
        h.append("</summary>\n");
    }

    private static void charts(StringBuilder h, LockDetail lock, History.Series series, long[] waitNanos) {
        int size = lock.settings().size();
        int[] used = series.used();
        int[] queued = series.queued();
        h.append("<div class=\"charts\"><figure>");
        Sparkline.steps(h, "held", lock.name(), used, History.SAMPLES, size, 360, 60, "#2b6cb0",
                lock.name() + ": slots used, last hour (" + used.length + " samples, 10 s apart); now "
                        + lock.used() + " of " + size + ", at most " + max(used));
        h.append("<figcaption>slots used, last hour (dashed: size ").append(size).append(")</figcaption></figure><figure>");
        Sparkline.steps(h, "queue", lock.name(), queued, History.SAMPLES, 0, 360, 60, "#c05621",
                lock.name() + ": queue length, last hour; now " + lock.queue().size() + ", at most " + max(queued));
        h.append("<figcaption>queue length, last hour (at most ").append(max(queued)).append(")</figcaption></figure><figure>");
        long[] millis = new long[waitNanos.length];
        for (int i = 0; i < millis.length; i++) {
            millis[i] = waitNanos[i] / 1_000_000;
        }
        long[] sorted = waitNanos.clone();
        Arrays.sort(sorted);
        String text = sorted.length == 0 ? "no grants yet" : "wait of the last " + sorted.length + " grant(s): p50 "
                + duration(sorted[(sorted.length - 1) / 2]) + ", max " + duration(sorted[sorted.length - 1]);
        Sparkline.bars(h, "waits", lock.name(), millis, LockCounts.RECENT_WAITS, 192, 60, "#6b46c1",
                lock.name() + ": " + text + " (bars in ms, newest right)");
        h.append("<figcaption class=\"waits\" data-lock=\"").append(escape(lock.name())).append("\" data-count=\"")
                .append(sorted.length).append("\" data-p50-ms=\"")
                .append(sorted.length == 0 ? "" : Long.toString(sorted[(sorted.length - 1) / 2] / 1_000_000))
                .append("\" data-max-ms=\"")
                .append(sorted.length == 0 ? "" : Long.toString(sorted[sorted.length - 1] / 1_000_000)).append("\">")
                .append(text).append("</figcaption></figure></div>\n");
    }

    private static void holders(StringBuilder h, LockDetail lock) {
        if (!lock.holders().isEmpty()) {
            h.append("<table class=\"holders\"><tr><th>holder</th><th>slots</th><th>held for</th><th>token</th>")
                    .append("<th>last seen</th><th>revoked</th></tr>\n");
            for (LockDetail.Holder t : first(lock.holders())) {
                h.append("<tr><td>").append(escape(t.info())).append("</td><td>").append(t.slots())
                        .append("</td><td>").append(duration(t.ageNanos()))
                        .append("</td><td>").append(t.token()).append("</td><td>")
                        .append(duration(t.idleNanos())).append(" ago</td><td>")
                        .append(t.revoke().isEmpty() ? "" : escape(t.revoke()) + " (ends in "
                                + duration(t.revokeInNanos()) + ")").append("</td></tr>\n");
            }
            more(h, lock.holders().size(), 6);
            h.append("</table>\n");
        }
        if (!lock.queue().isEmpty()) {
            h.append("<table class=\"queue\"><tr><th>#</th><th>waiting</th><th>slots</th><th>priority</th>")
                    .append("<th>waited</th></tr>\n");
            int position = 0;
            for (LockDetail.Holder t : first(lock.queue())) {
                h.append("<tr><td>").append(++position).append("</td><td>").append(escape(t.info()))
                        .append("</td><td>").append(t.slots()).append("</td><td>").append(t.priority())
                        .append("</td><td>").append(duration(t.ageNanos())).append("</td></tr>\n");
            }
            more(h, lock.queue().size(), 5);
            h.append("</table>\n");
        }
    }

    private static List<LockDetail.Holder> first(List<LockDetail.Holder> tickets) {
        return tickets.subList(0, Math.min(tickets.size(), ROWS));
    }

    /** The row that says how many tickets the table leaves out (lockctl status lists them all). */
    private static void more(StringBuilder h, int tickets, int columns) {
        if (tickets > ROWS) {
            h.append("<tr class=\"more\"><td colspan=\"").append(columns).append("\">and ").append(tickets - ROWS)
                    .append(" more (lockctl status lists them all)</td></tr>\n");
        }
    }

    private static int max(int[] values) {
        int m = 0;
        for (int v : values) {
            m = Math.max(m, v);
        }
        return m;
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
