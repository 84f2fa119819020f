package lockserver.server.rpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;

/**
 * Who sent one call and over what: the HTTP Basic credentials (as the XML-RPC library
 * parses them), the remote address and the connection, for a wait that must know whether
 * its client is still there. One per call.
 */
final class CallContext extends XmlRpcHttpRequestConfigImpl {
    private final String remoteAddress;
    private final EndPoint endPoint;

    CallContext(String remoteAddress, EndPoint endPoint, String authorization) {
        this.remoteAddress = remoteAddress;
        this.endPoint = endPoint;
        setEnabledForExtensions(false);
        setCredentials(authorization);
    }

    /**
     * HTTP Basic credentials, read as the XML-RPC library reads them (user and password split
     * at the first colon, UTF-8), with the JDK's decoder: the library's allocates kilobytes a call.
     */
    private void setCredentials(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return;
        }
        byte[] decoded;
        try {
            decoded = Base64.getMimeDecoder().decode(authorization.substring(6).trim());
        } catch (IllegalArgumentException notBase64) {
            return;
        }
        String pair = new String(decoded, StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon >= 0) {
            setBasicUserName(pair.substring(0, colon));
            setBasicPassword(pair.substring(colon + 1));
        }
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
