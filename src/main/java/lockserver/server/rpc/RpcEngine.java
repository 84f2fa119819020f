package lockserver.server.rpc;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
import lockserver.core.LockException;
import lockserver.server.web.Metrics;
import lockserver.wire.ByteSink;
import lockserver.wire.Fault;
import lockserver.wire.PlainXmlRpc;
import lockserver.wire.Utf8WriterFactory;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.XmlRpcRequestConfig;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.parser.XmlRpcRequestParser;
import org.apache.xmlrpc.server.XmlRpcHandlerMapping;
import org.apache.xmlrpc.server.XmlRpcServerConfigImpl;
import org.apache.xmlrpc.server.XmlRpcStreamServer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.xml.sax.Attributes;
import org.xml.sax.ContentHandler;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.XMLFilterImpl;

/**
 * The XML-RPC server of {@code /RPC2}, built on Apache XML-RPC's {@link XmlRpcStreamServer}:
 * decodes a request document, executes it through the method table, and renders the
 * answer or the fault. Every binding's calls are executed here, by {@link #answer}. Extensions are off; the parser refuses any DOCTYPE, elements
 * nested deeper than {@link ShapeCheck#MAX_DEPTH} and a value holding two values. Plain
 * documents are read and written by {@link PlainXmlRpc}; anything else goes to the
 * library's parser unchanged, which alone decides what is refused. Never throws at a
 * caller: every failure becomes a fault through {@link Faults}. Thread-safe.
 */
final class RpcEngine extends XmlRpcStreamServer implements Binding {
    private static final Logger log = LogManager.getLogger(RpcEngine.class);
    private static final SAXParserFactory PARSERS = newParserFactory();
    /** Parsers are costly to make and safe to reuse one request at a time, so each thread keeps one. */
    private static final ThreadLocal<SAXParser> PARSER = ThreadLocal.withInitial(() -> {
        try {
            return PARSERS.newSAXParser();
        } catch (ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot make an XML parser", e);
        }
    });

    private final Metrics metrics;

    RpcEngine(XmlRpcHandlerMapping methods, Metrics metrics) {
        this.metrics = metrics;
        setXMLWriterFactory(new Utf8WriterFactory());
        XmlRpcServerConfigImpl config = new XmlRpcServerConfigImpl();
        config.setEnabledForExtensions(false);
        config.setEnabledForExceptions(false);
        config.setKeepAliveEnabled(true);
        setConfig(config);
        setHandlerMapping(methods);
    }

    @Override
    public String name() {
        return "XML-RPC";
    }

    @Override
    public String mediaType() {
        return "text/xml";
    }

    /**
     * text/xml or application/xml, with no charset or one this JVM knows. Not a body without a
     * Content-Type: a web page may send one to any origin with no preflight (and the browser's
     * cached credentials), as it may send text/plain; XML-RPC clients always say text/xml.
     */
    @Override
    public boolean accepts(String contentType) {
        if (contentType == null) {
            return false;
        }
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
    public String answerType() {
        return "text/xml; charset=UTF-8";
    }

    /** The call in a plain document, or null when the document is not one PlainXmlRpc reads. */
    @Override
    public XmlRpcRequest readQuick(CallContext context, String path, byte[] doc, int length) {
        PlainXmlRpc.Call plain = PlainXmlRpc.readCall(doc, length);
        return plain == null ? null : request(context, plain.method(), plain.params());
    }

    /** Reads any request document with the library's parser; a fault 8 if it is not a valid call. */
    @Override
    public XmlRpcRequest read(CallContext context, String path, byte[] doc, int length) {
        XmlRpcRequestParser parser = new XmlRpcRequestParser(context, getTypeFactory());
        try {
            SAXParser sax = PARSER.get();
            sax.reset();
            XMLReader reader = sax.getXMLReader();
            reader.setContentHandler(new ShapeCheck(parser));
            reader.setErrorHandler(STRICT);
            reader.parse(new InputSource(new ByteArrayInputStream(doc, 0, length)));
        } catch (SAXException e) {
            Exception inner = e.getException();
            throw Faults.malformed(inner instanceof XmlRpcException ? inner.getMessage() : e.getMessage());
        } catch (IOException e) {
            throw Faults.malformed(e.getMessage());
        }
        if (parser.getMethodName() == null) {
            throw Faults.malformed("not a methodCall");
        }
        List<?> params = parser.getParams() == null ? List.of() : parser.getParams(); // <params> may be left out
        return request(context, parser.getMethodName(), params);
    }

    /** Executes a call; the answer in {@code binding}'s form, now or, for a call that waits, later. Never fails. */
    CompletableFuture<ByteSink> answer(CallContext context, XmlRpcRequest call, Binding binding) {
        Object result;
        try {
            result = execute(call);
        } catch (Throwable t) {
            return CompletableFuture.completedFuture(binding.render(context, null, t));
        }
        if (result instanceof CompletableFuture<?> pending) {
            return pending.handle((value, failure) -> binding.render(context, value, failure));
        }
        return CompletableFuture.completedFuture(binding.render(context, result, null));
    }

    /** The answer document: the result, or the fault {@link Faults} makes of the error. */
    @Override
    public ByteSink render(CallContext context, Object result, Throwable error) {
        ByteSink out = new ByteSink(512);
        if (error == null && PlainXmlRpc.writeResult(result, out)) {
            return out;
        }
        out.reset();
        try {
            if (error == null) {
                writeResponse(context, out, result);
            } else {
                writeError(context, out, error);
            }
        } catch (XmlRpcException e) {
            out.reset();
            try {
                writeError(context, out, new IllegalStateException("cannot write the answer", e));
            } catch (XmlRpcException again) {
                throw new IllegalStateException(again);
            }
        }
        return out;
    }

    @Override
    public LockException unreadable(String why) {
        return Faults.unreadable(why);
    }

    @Override
    public void refuse(Request request, Response response, Callback callback, int status, String message) {
        Response.writeError(request, response, callback, status, message);
    }

    /** The fault a client gets for {@code error}, in any binding; counted and logged here. */
    LockException fault(Throwable error) {
        LockException fault = Faults.of(error instanceof CompletionException && error.getCause() != null
                ? error.getCause() : error);
        metrics.fault(fault.fault());
        log.debug("fault {} {}: {}", fault.fault().code, fault.fault(), fault.getMessage());
        return fault;
    }

    @Override
    protected void writeError(XmlRpcStreamRequestConfig config, OutputStream out, Throwable error)
            throws XmlRpcException {
        LockException fault = fault(error);
        super.writeError(config, out, new XmlRpcException(fault.fault().code, fault.getMessage()));
    }

    @Override
    protected void logError(Throwable error) {
        // writeError logs; the library's own logger would print a stack trace for every bad request
    }

    /** A call as every binding hands it to the method table. */
    static XmlRpcRequest request(XmlRpcRequestConfig config, String method, List<?> params) {
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

    /** Fails on the first error, and unlike the default handler prints nothing to stderr. */
    private static final ErrorHandler STRICT = new ErrorHandler() {
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
}
