package lockserver.server.rpc;

import java.io.IOException;
import org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl;
import org.apache.xmlrpc.util.HttpUtil;
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
        HttpUtil.parseAuthorization(this, authorization);
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
