package lockserver.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw HTTP/1.x over a plain socket, for requests no well-behaved client would send: the
 * bytes go out exactly as given (on a separate thread, so a server that answers before
 * reading everything is seen answering), and the answer is read without any help.
 */
final class RawHttp {
    private RawHttp() {
    }

    /** What came back: {@code status} is -1 when the server closed the connection without a response. */
    record Response(int status, Map<String, String> headers, String body, double seconds) {
        boolean closedWithoutAnswer() {
            return status == -1;
        }

        /** The fault code, or null if the body is not an XML-RPC fault. */
        Integer faultCode() {
            Matcher m = FAULT.matcher(body);
            return m.find() ? Integer.valueOf(m.group(1)) : null;
        }

        String faultString() {
            Matcher m = FAULT_STRING.matcher(body);
            return m.find() ? m.group(1) : null;
        }

        /** The status line, headers and body, for assertion messages (shortened). */
        String describe() {
            String b = body.length() > 600 ? body.substring(0, 600) + "...(" + body.length() + " chars)" : body;
            return "HTTP " + status + " after " + String.format(Locale.ROOT, "%.2f", seconds) + " s: " + b;
        }
    }

    private static final Pattern FAULT = Pattern.compile(
            "<name>faultCode</name>\\s*<value>\\s*<(?:i4|int)>(-?\\d+)</(?:i4|int)>");
    private static final Pattern FAULT_STRING = Pattern.compile(
            "<name>faultString</name>\\s*<value>(?:<string>)?(.*?)(?:</string>)?</value>", Pattern.DOTALL);

    /** A request with the given head (request line and header lines, no final blank line) and body. */
    static byte[] request(String head, byte[] body) {
        byte[] h = (head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /** A POST to {@code path} with a correct Content-Length; {@code contentType} null sends none. */
    static byte[] post(String path, String contentType, byte[] body) {
        return request("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                + "Content-Length: " + body.length, body);
    }

    /** {@code body} in chunks of {@code chunk} bytes; the final empty chunk only if {@code terminate}. */
    static byte[] chunked(byte[] body, int chunk, boolean terminate) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(body.length + body.length / chunk * 8 + 16);
        for (int off = 0; off < body.length; off += chunk) {
            int n = Math.min(chunk, body.length - off);
            b.writeBytes(utf8(Integer.toHexString(n) + "\r\n"));
            b.write(body, off, n);
            b.writeBytes(utf8("\r\n"));
        }
        if (terminate) {
            b.writeBytes(utf8("0\r\n\r\n"));
        }
        return b.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /**
     * Sends {@code bytes} to the server and reads one response. With {@code halfClose} the
     * sending side is shut down after the bytes (the server sees end of stream); without it
     * the connection stays open, so a server waiting for more must answer by itself or time
     * out. Gives up (SocketTimeoutException) after {@code timeoutMillis} of silence.
     */
    static Response exchange(int port, byte[] bytes, boolean halfClose, int timeoutMillis) throws IOException {
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            Thread writer = new Thread(() -> {
                try {
                    for (int off = 0; off < bytes.length; off += 65_536) {
                        out.write(bytes, off, Math.min(65_536, bytes.length - off));
                    }
                    out.flush();
                    if (halfClose) {
                        s.shutdownOutput();
                    }
                } catch (IOException e) {
                    // the server stopped reading (413, closed): the answer is what counts
                }
            }, "raw-http-writer");
            writer.setDaemon(true);
            writer.start();
            Response r = read(s.getInputStream(), start);
            s.close();
            try {
                writer.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return r;
        }
    }

    /** Reads one response (skipping 1xx); status -1 if the stream ended before a status line. */
    static Response read(InputStream in, long startNanos) throws IOException {
        while (true) {
            byte[] headBytes = readHead(in);
            if (headBytes == null) {
                return new Response(-1, Map.of(), "", (System.nanoTime() - startNanos) / 1e9);
            }
            String head = new String(headBytes, StandardCharsets.ISO_8859_1);
            String[] lines = head.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            int status = Integer.parseInt(statusLine[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) {
                    headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            lines[i].substring(colon + 1).trim());
                }
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            byte[] body;
            if (headers.containsKey("content-length")) {
                body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = readChunked(in);
            } else if (status == 204 || status == 304) {
                body = new byte[0];
            } else {
                body = readToEnd(in);
            }
            return new Response(status, headers, new String(body, StandardCharsets.UTF_8),
                    (System.nanoTime() - startNanos) / 1e9);
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int last4 = 0;
        while (true) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                c = -1; // reset by the server: as good as closed
            }
            if (c < 0) {
                return b.size() == 0 ? null : b.toByteArray();
            }
            b.write(c);
            last4 = (last4 << 8) | c;
            if (last4 == 0x0d0a0d0a) {
                byte[] all = b.toByteArray();
                return java.util.Arrays.copyOf(all, all.length - 4);
            }
        }
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                b.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // reset after the body: keep what came
        }
        return b.toByteArray();
    }
}
