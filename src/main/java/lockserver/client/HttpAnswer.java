package lockserver.client;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * One HTTP/1.1 answer read whole from a kept-alive connection: Content-Length, chunked or
 * close-delimited bodies. What it reads is capped, so a broken or hostile server cannot make
 * the client read forever or fill the heap: the status line and headers at {@link #MAX_HEAD}
 * (64 KiB), the body at {@link #MAX_RESPONSE} (16 MiB) as sent, whether its end is given by
 * Content-Length, by chunks (their framing counts) or by the close of the connection; over a
 * cap, reading fails with {@link TooLarge}.
 */
final class HttpAnswer {
    static final int MAX_HEAD = 64 << 10;
    static final int MAX_RESPONSE = 16 << 20;

    /** The connection ended before the first byte of an answer. */
    static final class NoResponse extends IOException {
        NoResponse() {
            super("no answer", null);
        }
    }

    final int status;
    final boolean keepAlive;
    final byte[] body;

    private HttpAnswer(int status, boolean keepAlive, byte[] body) {
        this.status = status;
        this.keepAlive = keepAlive;
        this.body = body;
    }

    /** Reads one answer whole from {@code in}, within the caps. */
    static HttpAnswer read(Input in) throws IOException {
        in.cap(MAX_HEAD, "the answer's header");
        String statusLine = line(in, true);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP answer: " + statusLine);
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad HTTP status line: " + statusLine);
        }
        long length = -1;
        boolean chunked = false;
        boolean keepAlive = parts[0].equals("HTTP/1.1");
        for (String h = line(in, false); !h.isEmpty(); h = line(in, false)) {
            int colon = h.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = h.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = number(value, 10, h);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> keepAlive = !value.equalsIgnoreCase("close")
                        && (keepAlive || value.equalsIgnoreCase("keep-alive"));
                default -> {
                }
            }
        }
        in.cap(MAX_RESPONSE, "the answer");
        byte[] body;
        if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (long size = chunkSize(in); size > 0; size = chunkSize(in)) {
                b.write(exactly(in, size));
                line(in, false);
            }
            while (!line(in, false).isEmpty()) {
                // trailers
            }
            body = b.toByteArray();
        } else if (length >= 0) {
            body = exactly(in, length);
        } else {
            body = in.readAllBytes(); // ends with the connection
            keepAlive = false;
        }
        return new HttpAnswer(status, keepAlive, body);
    }

    private static long chunkSize(Input in) throws IOException {
        String line = line(in, false);
        return number(line.split(";")[0].trim(), 16, line);
    }

    private static long number(String digits, int radix, String line) throws IOException {
        try {
            long n = Long.parseLong(digits, radix);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // as below
        }
        throw new IOException("bad length in the answer: " + line);
    }

    /** The next {@code n} bytes; fails at once, unread, if they would pass the cap. */
    private static byte[] exactly(Input in, long n) throws IOException {
        if (n > in.left()) {
            throw in.tooLarge();
        }
        byte[] b = in.readNBytes((int) n);
        if (b.length != n) {
            throw new EOFException("the answer was cut off");
        }
        return b;
    }

    private static String line(InputStream in, boolean first) throws IOException {
        StringBuilder b = new StringBuilder(64);
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                if (first && b.length() == 0) {
                    throw new NoResponse();
                }
                throw new EOFException("the answer was cut off");
            }
            if (c != '\r') {
                b.append((char) c);
            }
            if (b.length() > 8192) {
                throw new IOException("HTTP header line too long");
            }
        }
        return b.toString();
    }

    /** The input to read answers from, over a connection's socket input. */
    static Input input(InputStream socket) {
        return new Input(new Buffered(socket));
    }

    /**
     * A buffered socket input read by one thread at a time: BufferedInputStream's
     * synchronized read() per header byte was a tenth of the client's CPU.
     */
    private static final class Buffered extends InputStream {
        private final InputStream in;
        private final byte[] buf = new byte[8192];
        private int pos;
        private int lim;

        Buffered(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (pos == lim && !fill()) {
                return -1;
            }
            return buf[pos++] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == lim) {
                if (len >= buf.length) {
                    return in.read(b, off, len);
                }
                if (!fill()) {
                    return -1;
                }
            }
            int n = Math.min(len, lim - pos);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            return n;
        }

        private boolean fill() throws IOException {
            int n = in.read(buf, 0, buf.length);
            pos = 0;
            lim = Math.max(n, 0);
            return n > 0;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** An answer larger than the client reads: a broken or hostile server. */
    static final class TooLarge extends IOException {
        TooLarge(String what, long cap) {
            super(what + " was larger than the client's cap of "
                    + (cap % (1 << 20) == 0 ? (cap >> 20) + " MiB" : (cap >> 10) + " KiB"), null);
        }
    }

    /**
     * A stream that gives at most {@code left} more bytes: asked for one more, it fails with
     * {@link TooLarge} unless the stream ends there. Read by one thread at a time.
     */
    static final class Input extends InputStream {
        private final InputStream in;
        private long left;
        private long cap;
        private String what;

        Input(InputStream in) {
            this.in = in;
        }

        /** What follows may take {@code bytes} more; {@code what} names it in the error. */
        void cap(long bytes, String what) {
            this.left = bytes;
            this.cap = bytes;
            this.what = what;
        }

        long left() {
            return left;
        }

        TooLarge tooLarge() {
            return new TooLarge(what, cap);
        }

        @Override
        public int read() throws IOException {
            int c = in.read();
            if (c >= 0 && left-- == 0) {
                throw tooLarge();
            }
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, (int) Math.min(len, Math.max(left, 1))); // one byte past the cap: is there more?
            if (n > 0 && (left -= n) < 0) {
                throw tooLarge();
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
