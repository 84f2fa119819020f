package lockserver.server;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import lockserver.wire.Fault;
import lockserver.core.LockException;
import lockserver.wire.ByteSink;
import lockserver.wire.PlainXmlRpc;
import lockserver.wire.Utf8WriterFactory;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.XmlRpcRequestConfig;
import org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.parser.XmlRpcRequestParser;
import org.apache.xmlrpc.server.XmlRpcHandlerMapping;
import org.apache.xmlrpc.server.XmlRpcServerConfigImpl;
import org.apache.xmlrpc.webserver.XmlRpcServlet;
import org.apache.xmlrpc.webserver.XmlRpcServletServer;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.XMLFilterImpl;

/**
 * Apache XML-RPC's servlet, serving {@link LockService} with extensions off, a parser
 * that refuses any DOCTYPE, and one place that turns every failure into a fault with a
 * stable code and a one-line message: no client ever sees a stack trace.
 */
final class RpcServlet extends XmlRpcServlet {
    private static final Logger log = LogManager.getLogger(RpcServlet.class);
    private static final SAXParserFactory PARSERS = newParserFactory();
    /** Parsers are costly to make and safe to reuse one request at a time, so each thread keeps one. */
    private static final ThreadLocal<SAXParser> PARSER = ThreadLocal.withInitial(() -> {
        try {
            return PARSERS.newSAXParser();
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot make an XML parser", e);
        }
    });

    private final transient LockService service;
    private final transient Server server;
    private final int maxRequestBytes;

    RpcServlet(LockService service, Metrics metrics, int maxRequestBytes) {
        this.service = service;
        this.maxRequestBytes = maxRequestBytes;
        this.server = new Server(metrics);
        server.setXMLWriterFactory(new Utf8WriterFactory());
        XmlRpcServerConfigImpl serverConfig = new XmlRpcServerConfigImpl();
        serverConfig.setEnabledForExtensions(false);
        serverConfig.setEnabledForExceptions(false);
        serverConfig.setKeepAliveEnabled(true);
        server.setConfig(serverConfig);
        server.setHandlerMapping(service);
    }

    @Override
    protected XmlRpcServletServer newXmlRpcServer(ServletConfig config) {
        return server;
    }

    /** The XML-RPC server behind this servlet, shared with {@link PlainRpcHandler}. */
    Server rpcServer() {
        return server;
    }

    /** The request's settings as the library parses them, plus the caller's address and connection. */
    static final class RequestConfig extends XmlRpcHttpRequestConfigImpl {
        private final String remoteAddress;
        private final EndPoint endPoint; // null when not served by Jetty's HTTP connection

        RequestConfig(String remoteAddress, EndPoint endPoint) {
            this.remoteAddress = remoteAddress;
            this.endPoint = endPoint;
        }

        String remoteAddress() {
            return remoteAddress;
        }

        /**
         * Whether the client still holds its connection open, for a request whose body was
         * read whole. Looks without blocking for the end of the stream; our clients send no
         * further request before they have the answer, so there is nothing else to read.
         */
        boolean clientConnected() {
            if (endPoint == null) {
                return true;
            }
            if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
                return false;
            }
            try {
                return endPoint.fill(BufferUtil.allocate(1)) >= 0;
            } catch (IOException | RuntimeException e) {
                return !(e instanceof IOException);
            }
        }
    }

    @Override
    public void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        String type = req.getHeader("Content-Type"); // raw: Jetty's parsed form throws on unknown charsets
        if (type != null && !isXml(type)) {
            resp.sendError(HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE, "XML-RPC takes text/xml, not " + type);
            return;
        }
        long length = req.getContentLengthLong();
        if (length > maxRequestBytes) {
            resp.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    "request body of " + length + " bytes is larger than MAX_REQUEST_BYTES=" + maxRequestBytes);
            return;
        }
        XmlRpcHttpRequestConfigImpl config = server.requestConfig(req);
        CompletableFuture<ByteSink> answer;
        try {
            answer = server.answer(config, server.parse(config, new CappedRequest(req, maxRequestBytes).getInputStream()));
        } catch (Throwable t) {
            answer = CompletableFuture.completedFuture(server.render(config, null, t));
        }
        if (!answer.isDone()) {
            // a wait: give the thread back and answer when the future completes
            AsyncContext async = req.startAsync();
            async.setTimeout(0); // the wait has its own timeout
            // the wait may end on any thread, a selector's too: write (which may block) on the pool
            answer.whenComplete((body, failure) -> async.start(() -> {
                try {
                    respond((HttpServletResponse) async.getResponse(), body);
                } catch (IOException gone) {
                    log.debug("could not answer a wait: {}", gone.toString());
                } finally {
                    async.complete();
                }
            }));
            return;
        }
        respond(resp, answer.join());
    }

    private static void respond(HttpServletResponse resp, ByteSink body) throws IOException {
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("text/xml; charset=UTF-8");
        resp.setContentLength(body.size());
        body.writeTo(resp.getOutputStream());
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    /** text/xml or application/xml, with no charset or one this JVM knows. */
    static boolean isXml(String contentType) {
        String[] parts = contentType.split(";");
        String media = parts[0].trim().toLowerCase(Locale.ROOT);
        if (!media.equals("text/xml") && !media.equals("application/xml")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("charset")) {
                try {
                    return Charset.isSupported(kv[1].trim().replace("\"", ""));
                } catch (IllegalArgumentException illegalName) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    protected void doTrace(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED); // the default echoes headers, Authorization too
    }

    /** A request whose body stream fails once it has given more than the cap (chunked bodies have no length). */
    private static final class CappedRequest extends HttpServletRequestWrapper {
        private final int cap;

        CappedRequest(HttpServletRequest request, int cap) {
            super(request);
            this.cap = cap;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            ServletInputStream in = super.getInputStream();
            return new ServletInputStream() {
                private long count;

                @Override
                public int read() throws IOException {
                    int b = in.read();
                    if (b >= 0 && ++count > cap) {
                        throw tooLarge();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = in.read(buf, off, len);
                    if (n > 0 && (count += n) > cap) {
                        throw tooLarge();
                    }
                    return n;
                }

                private IOException tooLarge() {
                    return new IOException("request body larger than MAX_REQUEST_BYTES=" + cap);
                }

                @Override
                public boolean isFinished() {
                    return in.isFinished();
                }

                @Override
                public boolean isReady() {
                    return in.isReady();
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    in.setReadListener(listener);
                }
            };
        }
    }

    @Override
    protected XmlRpcHandlerMapping newXmlRpcHandlerMapping() {
        return service;
    }

    /** Fails on the first error, and unlike the default handler prints nothing to stderr. */
    static final ErrorHandler STRICT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    private static SAXParserFactory newParserFactory() {
        try {
            SAXParserFactory f = SAXParserFactory.newInstance();
            f.setNamespaceAware(true);
            f.setValidating(false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            return f;
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("the JDK's XML parser lacks a required safety feature", e);
        }
    }

    /** The fault a client gets for {@code error}. */
    static LockException toFault(Throwable error) {
        if (error instanceof LockException e) {
            return e;
        }
        if (error instanceof XmlRpcException && error.getCause() instanceof IOException io
                && io.getMessage() != null && io.getMessage().contains("MAX_REQUEST_BYTES")) {
            return new LockException(Fault.BAD_REQUEST, io.getMessage());
        }
        if (error instanceof XmlRpcException) {
            String why = error.getMessage() == null ? "unreadable request" : error.getMessage();
            if (why.contains("DOCTYPE")) {
                why = "DOCTYPE declarations are not allowed";
            } else if (error.getCause() instanceof IOException) {
                why = "the request body could not be read whole (cut off or too slow)";
            }
            return new LockException(Fault.BAD_REQUEST, "malformed XML-RPC request: "
                    + why.replaceFirst("^Failed to (parse|read) XML-RPC request: ", "")
                    .replaceAll("\\b(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error): ?", "") // no Java class names
                    .replaceAll("\\s+", " "));
        }
        log.error("internal error while serving a request", error);
        return new LockException(Fault.INTERNAL, "internal server error; the server log has the details");
    }

    /**
     * Refuses what the library's recursive parser would choke on or silently misread:
     * elements nested deeper than {@link #MAX_DEPTH} (our calls take flat arguments) and a
     * {@code <value>} holding more than one value.
     */
    static final class ShapeCheck extends XMLFilterImpl {
        static final int MAX_DEPTH = 64;
        private final ArrayDeque<String> open = new ArrayDeque<>();
        private final ArrayDeque<int[]> childCount = new ArrayDeque<>();

        ShapeCheck(ContentHandler next) {
            setContentHandler(next);
        }

        @Override
        public void startElement(String uri, String local, String qName, Attributes atts) throws SAXException {
            if (open.size() >= MAX_DEPTH) {
                throw new SAXException("elements nested more than " + MAX_DEPTH + " deep");
            }
            if (!childCount.isEmpty() && ++childCount.peek()[0] > 1 && "value".equals(open.peek())) {
                throw new SAXException("a <value> holds more than one value");
            }
            open.push(local);
            childCount.push(new int[1]);
            super.startElement(uri, local, qName, atts);
        }

        @Override
        public void endElement(String uri, String local, String qName) throws SAXException {
            open.pop();
            childCount.pop();
            super.endElement(uri, local, qName);
        }
    }

    static final class Server extends XmlRpcServletServer {
        private final Metrics metrics;

        Server(Metrics metrics) {
            this.metrics = metrics;
        }

        XmlRpcHttpRequestConfigImpl requestConfig(HttpServletRequest request) {
            return getConfig(request); // also reads HTTP Basic credentials
        }

        XmlRpcRequest parse(XmlRpcHttpRequestConfigImpl config, InputStream body) throws XmlRpcException {
            return getRequest(config, body);
        }

        /** Executes a call; the answer document, now or, for a wait, when it ends. Never fails. */
        CompletableFuture<ByteSink> answer(XmlRpcHttpRequestConfigImpl config, XmlRpcRequest call) {
            Object result;
            try {
                result = execute(call);
            } catch (Throwable t) {
                return CompletableFuture.completedFuture(render(config, null, t));
            }
            if (result instanceof CompletableFuture<?> pending) {
                return pending.handle((value, failure) -> render(config, value, failure == null ? null : unwrap(failure)));
            }
            return CompletableFuture.completedFuture(render(config, result, null));
        }

        /** The answer document: the result, or the fault {@link #writeError} makes of the error. */
        ByteSink render(XmlRpcHttpRequestConfigImpl config, Object result, Throwable error) {
            ByteSink out = new ByteSink(512);
            if (error == null && PlainXmlRpc.writeResult(result, out)) {
                return out;
            }
            out.reset();
            try {
                if (error == null) {
                    writeResponse(config, out, result);
                } else {
                    writeError(config, out, error);
                }
            } catch (XmlRpcException e) {
                out.reset();
                try {
                    writeError(config, out, new IllegalStateException("cannot write the answer", e));
                } catch (XmlRpcException again) {
                    throw new IllegalStateException(again);
                }
            }
            return out;
        }

        @Override
        protected XmlRpcHttpRequestConfigImpl newConfig(HttpServletRequest request) {
            ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
            EndPoint endPoint = jetty == null ? null : jetty.getConnectionMetaData().getConnection().getEndPoint();
            return new RequestConfig(request.getRemoteAddr(), endPoint);
        }

        @Override
        protected XmlRpcRequest getRequest(XmlRpcStreamRequestConfig config, InputStream body) throws XmlRpcException {
            byte[] doc;
            try {
                doc = body.readAllBytes(); // at most MAX_REQUEST_BYTES: the stream is capped
            } catch (IOException e) {
                throw new XmlRpcException("Failed to read XML-RPC request: " + e.getMessage(), e);
            }
            PlainXmlRpc.Call plain = PlainXmlRpc.readCall(doc, doc.length);
            if (plain != null) {
                return request(config, plain.method(), plain.params());
            }
            XmlRpcRequestParser parser = new XmlRpcRequestParser(config, getTypeFactory());
            try {
                SAXParser sax = PARSER.get();
                sax.reset();
                XMLReader reader = sax.getXMLReader();
                reader.setContentHandler(new ShapeCheck(parser));
                reader.setErrorHandler(STRICT);
                reader.parse(new InputSource(new ByteArrayInputStream(doc)));
            } catch (SAXException e) {
                if (e.getException() instanceof XmlRpcException x) {
                    throw x;
                }
                throw new XmlRpcException("Failed to parse XML-RPC request: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new XmlRpcException("Failed to read XML-RPC request: " + e.getMessage(), e);
            }
            String method = parser.getMethodName();
            List<?> params = parser.getParams() == null ? List.of() : parser.getParams(); // <params> may be left out
            if (method == null) {
                throw new XmlRpcException("not a methodCall");
            }
            return request(config, method, params);
        }

        static XmlRpcRequest request(XmlRpcStreamRequestConfig config, String method, List<?> params) {
            return new XmlRpcRequest() {
                @Override
                public XmlRpcRequestConfig getConfig() {
                    return config;
                }

                @Override
                public String getMethodName() {
                    return method;
                }

                @Override
                public int getParameterCount() {
                    return params.size();
                }

                @Override
                public Object getParameter(int i) {
                    return params.get(i);
                }
            };
        }

        @Override
        protected void writeError(XmlRpcStreamRequestConfig config, OutputStream out, Throwable error)
                throws XmlRpcException {
            LockException fault = toFault(error);
            metrics.fault(fault.fault());
            log.debug("fault {} {}: {}", fault.fault().code, fault.fault(), fault.getMessage());
            super.writeError(config, out, new XmlRpcException(fault.fault().code, fault.getMessage()));
        }

        @Override
        protected void logError(Throwable error) {
            // writeError logs; the library's own logger would print a stack trace for every bad request
        }
    }
}
