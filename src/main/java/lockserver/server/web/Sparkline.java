package lockserver.server.web;

import java.util.Arrays;

/**
 * Inline SVG charts for the status page, drawn on the server: no script, nothing loaded,
 * colours as presentation attributes (the page policy allows no style attribute). Each
 * chart carries the numbers it draws as data attributes ({@code data-values}, {@code
 * data-last}, {@code data-max}) and says them in its {@code <title>}. Stateless.
 */
final class Sparkline {
    private Sparkline() {
    }

    /**
     * A step chart of {@code samples} (oldest first) filling the right part of a window of
     * {@code window} samples, newest at the right edge, with a dashed line at {@code limit}
     * when it is above 0.
     */
    static void steps(StringBuilder h, String cls, String lock, int[] samples, int window, int limit,
                      int width, int height, String colour, String title) {
        int max = (int) open(h, cls, lock, Arrays.stream(samples).asLongStream().toArray(), width, height, title);
        h.append(" data-limit=\"").append(limit).append("\">");
        int n = samples.length;
        title(h, title);
        background(h, width, height);
        double top = Math.max(1, Math.max(limit, max));
        if (n > 0) {
            double step = (double) width / window;
            double x0 = width - n * step;
            StringBuilder line = new StringBuilder();
            for (int i = 1; i < n; i++) {
                if (samples[i] != samples[i - 1]) {
                    line.append('H').append(round(width - (n - i) * step)).append('V')
                            .append(round(y(samples[i], top, height)));
                }
            }
            line.append('H').append(width);
            double y0 = round(y(samples[0], top, height));
            h.append("<path d=\"M").append(round(x0)).append(' ').append(height).append('V').append(y0).append(line)
                    .append('V').append(height).append("Z\" fill=\"").append(colour).append("\" fill-opacity=\".25\"/>")
                    .append("<path d=\"M").append(round(x0)).append(' ').append(y0).append(line)
                    .append("\" fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\"/>");
        }
        if (limit > 0) {
            double y = round(y(limit, top, height));
            h.append("<line class=\"limit\" x1=\"0\" x2=\"").append(width).append("\" y1=\"").append(y)
                    .append("\" y2=\"").append(y).append("\" stroke=\"#a00\" stroke-dasharray=\"4 3\"/>");
        }
        h.append("</svg>");
    }

    /** One bar per value (oldest first) in {@code slots} places, newest at the right edge. */
    static void bars(StringBuilder h, String cls, String lock, long[] values, int slots, int width, int height,
                     String colour, String title) {
        long max = open(h, cls, lock, values, width, height, title);
        h.append('>');
        int n = values.length;
        title(h, title);
        background(h, width, height);
        double step = (double) width / slots;
        for (int i = 0; i < n; i++) {
            double bar = Math.max(1, values[i] * (height - 1.0) / Math.max(1, max)); // a 0 still shows
            h.append("<rect x=\"").append(round(width - (n - i) * step + .5)).append("\" y=\"")
                    .append(round(height - bar)).append("\" width=\"").append(round(Math.max(1, step - 1)))
                    .append("\" height=\"").append(round(bar)).append("\" fill=\"").append(colour).append("\"/>");
        }
        h.append("</svg>");
    }

    /**
     * Starts the chart's {@code <svg>} tag with the data attributes of {@code values}, leaving the
     * tag open for the caller's own; returns the largest value (0 when there is none).
     */
    private static long open(StringBuilder h, String cls, String lock, long[] values, int width, int height,
                             String title) {
        h.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"").append(cls).append("\" data-lock=\"")
                .append(StatusPage.escape(lock)).append("\" width=\"").append(width).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" role=\"img\" aria-label=\"").append(StatusPage.escape(title)).append('"');
        int n = values.length;
        long max = 0;
        h.append(" data-values=\"");
        for (int i = 0; i < n; i++) {
            h.append(i == 0 ? "" : ",").append(values[i]);
            max = Math.max(max, values[i]);
        }
        h.append("\" data-last=\"").append(n == 0 ? "" : Long.toString(values[n - 1]))
                .append("\" data-max=\"").append(max).append('"');
        return max;
    }

    private static void title(StringBuilder h, String title) {
        h.append("<title>").append(StatusPage.escape(title)).append("</title>");
    }

    private static void background(StringBuilder h, int width, int height) {
        h.append("<rect width=\"").append(width).append("\" height=\"").append(height).append("\" fill=\"#f4f4f4\"/>");
    }

    /** Where {@code v} goes on a chart {@code height} high whose top is {@code top}. */
    private static double y(int v, double top, int height) {
        return height - 1 - v * (height - 2) / top;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
