package lockserver.client;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import lockserver.wire.ByteSink;
import lockserver.wire.PlainXmlRpc;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.client.XmlRpcHttpClientConfig;
import org.apache.xmlrpc.client.XmlRpcHttpTransport;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactory;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;

/**
 * An XML-RPC transport that keeps a pool of open HTTP/1.1 connections to one server and
 * sends each call on one it is not using (the library's default transport opens a
 * connection per call; the JDK's HttpClient costs about a third of a millisecond per call).
 * Connections idle longer than {@link #MAX_IDLE} are not reused, so the server's idle
 * timeout never closes one under a request. For https the server's certificate and host
 * name are verified. Responses are parsed with DOCTYPEs refused. Thread-safe.
 *
 * <p>Answers are read by {@link HttpAnswer}, within its caps: one over a cap fails the call
 * with {@link HttpAnswer.TooLarge} (the client's {@code UNREACHABLE}) and its connection is
 * closed, unread.
 */
final class KeepAliveTransportFactory implements XmlRpcTransportFactory {
    private static final Set<String> NOT_SENT = Set.of("content-length", "connection", "host", "transfer-encoding");
    private static final SAXParserFactory PARSERS = newParserFactory();
    /** Parsers are costly to make and safe to reuse one response at a time, so each thread keeps one. */
    private static final ThreadLocal<javax.xml.parsers.SAXParser> PARSER = new ThreadLocal<>();
    static final Duration MAX_IDLE = Duration.ofSeconds(20);
    private static final int MAX_POOLED = 64;

    private final XmlRpcClient client;
    private final int connectTimeoutMillis;
    private final SSLContext tls;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    KeepAliveTransportFactory(XmlRpcClient client, Duration connectTimeout, SSLContext tls) {
        this.client = client;
        this.connectTimeoutMillis = (int) connectTimeout.toMillis();
        this.tls = tls;
    }

    @Override
    public XmlRpcTransport getTransport() {
        return new Transport();
    }

    private static SAXParserFactory newParserFactory() {
        try {
            SAXParserFactory f = SAXParserFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f;
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a required safety feature", e);
        }
    }

    /** One open connection to the server. */
    private static final class Connection {
        final Socket socket;
        final HttpAnswer.Input in;
        final OutputStream out;
        final String key; // host:port:scheme it was opened for
        long idleSince;
        int soTimeout = -1; // as last set: setting it costs a system call

        void soTimeout(int millis) throws IOException {
            if (millis != soTimeout) {
                socket.setSoTimeout(millis);
                soTimeout = millis;
            }
        }

        Connection(Socket socket, String key) throws IOException {
            this.socket = socket;
            this.in = HttpAnswer.input(socket.getInputStream());
            this.out = socket.getOutputStream();
            this.key = key;
        }

        void closeQuietly() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private Connection take(URL url) throws IOException {
        String key = key(url);
        long now = System.nanoTime();
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (c.key.equals(key) && now - c.idleSince < MAX_IDLE.toNanos() && !c.socket.isClosed()) {
                return c;
            }
            c.closeQuietly();
        }
        return open(url, key);
    }

    private void giveBack(Connection c) {
        c.idleSince = System.nanoTime();
        if (idle.size() < MAX_POOLED) {
            idle.addFirst(c); // most recently used first: the others age out
        } else {
            c.closeQuietly();
        }
    }

    private Connection open(URL url, String key) throws IOException {
        boolean https = url.getProtocol().equalsIgnoreCase("https");
        int port = url.getPort() > 0 ? url.getPort() : url.getDefaultPort();
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(url.getHost(), port), connectTimeoutMillis);
            if (https) {
                SSLContext ctx = tls != null ? tls : defaultTls();
                SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(s, url.getHost(), port, true);
                SSLParameters p = ssl.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS"); // check the host name, not just the chain
                ssl.setSSLParameters(p);
                ssl.setSoTimeout(connectTimeoutMillis);
                ssl.startHandshake();
                s = ssl;
            }
            return new Connection(s, key);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static SSLContext defaultTls() throws IOException {
        try {
            return SSLContext.getDefault();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException("no TLS in this JVM", e);
        }
    }

    private static String key(URL url) {
        return url.getProtocol() + "://" + url.getHost() + ":" + url.getPort();
    }

    /** One call's state; the library makes a transport per call. */
    private final class Transport extends XmlRpcHttpTransport {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private XmlRpcHttpClientConfig config;
        private XmlRpcRequest request;
        private byte[] responseBody;

        Transport() {
            super(client, "lockserver-java-client");
        }

        @Override
        public Object sendRequest(XmlRpcRequest request) throws XmlRpcException {
            config = (XmlRpcHttpClientConfig) request.getConfig();
            this.request = request;
            return super.sendRequest(request);
        }

        @Override
        protected void setRequestHeader(String name, String value) {
            if (!NOT_SENT.contains(name.toLowerCase(Locale.ROOT))) {
                headers.put(name, value);
            }
        }

        @Override
        protected void writeRequest(ReqWriter writer) throws XmlRpcException, IOException, SAXException {
            ByteSink body = new ByteSink(512);
            Object[] params = new Object[request.getParameterCount()];
            for (int i = 0; i < params.length; i++) {
                params[i] = request.getParameter(i);
            }
            if (!PlainXmlRpc.writeCall(request.getMethodName(), params, body)) {
                body.reset();
                writer.write(body); // a type the plain writer leaves to the library
            }
            URL url = config.getServerURL();
            StringBuilder head = new StringBuilder(256).append("POST ")
                    .append(url.getFile().isEmpty() ? "/" : url.getFile()).append(" HTTP/1.1\r\nHost: ")
                    .append(url.getHost()).append(url.getPort() > 0 ? ":" + url.getPort() : "").append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(body.size()).append("\r\n\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            int timeout = config.getReplyTimeout() > 0 ? config.getReplyTimeout() : 0;
            for (int attempt = 0; ; attempt++) {
                Connection c = take(url);
                boolean fresh = c.idleSince == 0;
                try {
                    c.soTimeout(timeout);
                    try {
                        c.out.write(headBytes);
                        body.writeTo(c.out);
                        c.out.flush();
                    } catch (IOException closed) {
                        // a pooled connection the server had closed (broken pipe, reset): it took no
                        // whole request, so send again on a new one
                        c.closeQuietly();
                        if (fresh || attempt > 0) {
                            throw closed;
                        }
                        continue;
                    }
                    HttpAnswer r = HttpAnswer.read(c.in);
                    if (r.keepAlive) {
                        giveBack(c);
                    } else {
                        c.closeQuietly();
                    }
                    if (r.status != 200) {
                        throw new XmlRpcHttpTransportException(r.status, "HTTP status " + r.status);
                    }
                    responseBody = r.body;
                    return;
                } catch (HttpAnswer.NoResponse stale) {
                    c.closeQuietly();
                    // a pooled connection the server had closed: it read nothing, so send again
                    if (fresh || attempt > 0) {
                        throw new EOFException("the server closed the connection without an answer");
                    }
                } catch (IOException | RuntimeException e) {
                    c.closeQuietly();
                    throw e;
                }
            }
        }

        @Override
        protected boolean isUsingByteArrayOutput(XmlRpcHttpClientConfig c) {
            return false; // writeRequest buffers the body itself, mostly without the library's writer
        }

        @Override
        protected InputStream getInputStream() {
            return new ByteArrayInputStream(responseBody);
        }

        @Override
        protected Object readResponse(XmlRpcStreamRequestConfig c, InputStream in) throws XmlRpcException {
            Object plain = PlainXmlRpc.readResult(responseBody, responseBody.length);
            return plain != null ? plain : super.readResponse(c, in); // faults and the unusual: the library
        }

        @Override
        protected boolean isResponseGzipCompressed(XmlRpcStreamRequestConfig c) {
            return false; // we never ask for gzip
        }

        @Override
        protected XMLReader newXMLReader() throws XmlRpcException {
            try {
                javax.xml.parsers.SAXParser parser = PARSER.get();
                if (parser == null) {
                    parser = PARSERS.newSAXParser();
                    PARSER.set(parser);
                } else {
                    parser.reset();
                }
                return parser.getXMLReader();
            } catch (ParserConfigurationException | SAXException e) {
                throw new XmlRpcException("cannot create an XML parser: " + e.getMessage(), e);
            }
        }

        @Override
        protected void close() {
            // the connection went back to the pool (or was closed) when the answer was read
        }
    }
}
