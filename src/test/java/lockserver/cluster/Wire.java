package lockserver.cluster;

import java.net.MalformedURLException;
import java.net.URL;
import java.time.Duration;
import lockserver.client.LockServerException;
import lockserver.wire.Utf8WriterFactory;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;

/**
 * Plain XML-RPC calls to one node, for what the Java client does not offer (admin.cluster,
 * lock.query with its options struct, one bare lock.wait). A refusal throws
 * {@link LockServerException} with the fault code; no answer within the timeout, or no
 * connection, throws it with {@link LockServerException#UNREACHABLE}. Thread-safe.
 */
final class Wire {
    private final XmlRpcClient rpc = new XmlRpcClient();
    private final String url;

    Wire(String url, Duration timeout) {
        this.url = url;
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        try {
            config.setServerURL(new URL(url));
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(url, e);
        }
        config.setEnabledForExtensions(false);
        config.setReplyTimeout((int) timeout.toMillis());
        config.setConnectionTimeout((int) Math.min(timeout.toMillis(), 2_000));
        rpc.setConfig(config);
        rpc.setXmlWriterFactory(new Utf8WriterFactory());
    }

    Object call(String method, Object... params) {
        try {
            return rpc.execute(method, params);
        } catch (XmlRpcException e) {
            if (e.code > 0) {
                throw new LockServerException(e.code, method + " on " + url + ": " + e.getMessage(), e);
            }
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new LockServerException(LockServerException.UNREACHABLE, method + ": cannot reach " + url + ": "
                    + cause, e);
        }
    }

    @Override
    public String toString() {
        return url;
    }
}
