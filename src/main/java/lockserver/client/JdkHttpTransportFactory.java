package lockserver.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.XmlRpcRequest;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientException;
import org.apache.xmlrpc.client.XmlRpcHttpClientConfig;
import org.apache.xmlrpc.client.XmlRpcHttpTransport;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;
import org.apache.xmlrpc.client.XmlRpcTransport;
import org.apache.xmlrpc.client.XmlRpcTransportFactory;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;

/**
 * An XML-RPC transport on the JDK's {@link HttpClient}, which keeps HTTP/1.1 connections
 * alive and pools them (the library's default transport opens a connection per call).
 * Responses are parsed with DOCTYPEs refused. Thread-safe; one factory per server.
 */
final class JdkHttpTransportFactory implements XmlRpcTransportFactory {
    private static final Set<String> RESTRICTED = Set.of("content-length", "connection", "host");
    private static final SAXParserFactory PARSERS = newParserFactory();

    private final XmlRpcClient client;
    private final HttpClient http;

    JdkHttpTransportFactory(XmlRpcClient client, Duration connectTimeout, SSLContext tls) {
        this.client = client;
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout);
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
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

    /** One call's state; the library makes a transport per call. */
    private final class Transport extends XmlRpcHttpTransport {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private XmlRpcHttpClientConfig config;
        private HttpResponse<byte[]> response;

        Transport() {
            super(client, "lockserver-java-client");
        }

        @Override
        public Object sendRequest(XmlRpcRequest request) throws XmlRpcException {
            config = (XmlRpcHttpClientConfig) request.getConfig();
            return super.sendRequest(request);
        }

        @Override
        protected void setRequestHeader(String name, String value) {
            if (!RESTRICTED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                headers.put(name, value);
            }
        }

        @Override
        protected void writeRequest(ReqWriter writer) throws XmlRpcException, IOException, SAXException {
            ByteArrayOutputStream body = new ByteArrayOutputStream(512);
            writer.write(body);
            HttpRequest.Builder b;
            try {
                b = HttpRequest.newBuilder(config.getServerURL().toURI());
            } catch (URISyntaxException e) {
                throw new XmlRpcClientException("invalid server URL " + config.getServerURL(), e);
            }
            headers.forEach(b::header);
            if (config.getReplyTimeout() > 0) {
                b.timeout(Duration.ofMillis(config.getReplyTimeout()));
            }
            b.POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
            try {
                response = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new XmlRpcClientException("interrupted", e);
            }
            if (response.statusCode() != 200) {
                throw new XmlRpcHttpTransportException(response.statusCode(),
                        "HTTP status " + response.statusCode());
            }
        }

        @Override
        protected InputStream getInputStream() {
            return new ByteArrayInputStream(response.body());
        }

        @Override
        protected boolean isResponseGzipCompressed(org.apache.xmlrpc.common.XmlRpcStreamRequestConfig c) {
            return response.headers().firstValue("Content-Encoding").map("gzip"::equalsIgnoreCase).orElse(false);
        }

        @Override
        protected XMLReader newXMLReader() throws XmlRpcException {
            try {
                return PARSERS.newSAXParser().getXMLReader();
            } catch (ParserConfigurationException | SAXException e) {
                throw new XmlRpcException("cannot create an XML parser: " + e.getMessage(), e);
            }
        }

        @Override
        protected void close() {
            // the body was read whole, so the connection is already back in the pool
        }
    }
}
