package lockserver.server.web;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: every metric in the Prometheus text format (version 0.0.4, which
 * every Prometheus reads), written to the connection as it is produced. The client
 * library's own servlet first builds the whole page in one growing byte array: with
 * 10,000 locks that is a 10 MB page, and each scrape lifted the server's RSS by some
 * 40 MB. The few global series come from the library's writer, the per-lock ones from
 * {@link Metrics#writePerLock}.
 */
public final class MetricsPage extends PageServlet {
    private final transient Metrics metrics;
    private final transient PrometheusTextFormatWriter format = PrometheusTextFormatWriter.create();

    public MetricsPage(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType(PrometheusTextFormatWriter.CONTENT_TYPE);
        resp.setHeader("Cache-Control", "no-store");
        OutputStream out = resp.getOutputStream();
        format.write(out, metrics.prometheus.scrape());
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 16 * 1024);
        metrics.writePerLock(w);
        w.flush();
    }
}
