package lockserver.client;

import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import lockserver.wire.Utf8WriterFactory;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;

/**
 * One server URL of a client: its XML-RPC client over a pool of keep-alive connections of
 * its own, the Basic credentials of the URL's user info, and the one place that turns a
 * failed call into a {@link LockServerException} naming the URL (never the password).
 * Thread-safe.
 */
final class Endpoint {
    private final String url; // without user info
    private final XmlRpcClient rpc;
    private final XmlRpcClientConfigImpl config;

    /** @param url user:password@ in it is sent as Basic auth */
    Endpoint(String url, Duration timeout, SSLContext tls) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid lockserver URL '" + url + "': " + e.getMessage(), e);
        }
        this.url = uri.getRawUserInfo() == null ? url : url.replace(uri.getRawUserInfo() + "@", "");
        config = new XmlRpcClientConfigImpl();
        try {
            config.setServerURL(new URL(this.url));
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid lockserver URL '" + url + "': " + e.getMessage(), e);
        }
        if (uri.getRawUserInfo() != null) {
            String[] userPass = uri.getRawUserInfo().split(":", 2);
            config.setBasicUserName(URLDecoder.decode(userPass[0], StandardCharsets.UTF_8));
            config.setBasicPassword(userPass.length > 1 ? URLDecoder.decode(userPass[1], StandardCharsets.UTF_8) : "");
        }
        config.setEnabledForExtensions(false);
        config.setReplyTimeout((int) timeout.toMillis());
        config.setConnectionTimeout((int) timeout.toMillis());
        rpc = new XmlRpcClient();
        rpc.setConfig(config);
        rpc.setXmlWriterFactory(new Utf8WriterFactory());
        rpc.setTransportFactory(new KeepAliveTransportFactory(rpc, timeout, tls));
    }

    /** One call; {@code blockNanos} is how long the server may block it (a wait), added to the reply timeout. */
    Object execute(String method, long blockNanos, Object... params) throws XmlRpcException {
        XmlRpcClientConfigImpl cfg = config;
        if (blockNanos > 0) {
            cfg = config.cloneMe();
            cfg.setReplyTimeout(config.getReplyTimeout() + (int) (blockNanos / 1_000_000));
        }
        return rpc.execute(cfg, method, params);
    }

    /** What {@code e}, the failure of a call of {@code method} here, says to the caller: one plain line. */
    LockServerException failure(String method, XmlRpcException e) {
        if (e instanceof XmlRpcHttpTransportException h) {
            return new LockServerException(LockServerException.UNREACHABLE,
                    method + ": " + url + " answered HTTP " + h.getStatusCode(), e);
        }
        if (e.code > 0) {
            return new LockServerException(e.code, e.getMessage(), e);
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (cause instanceof HttpAnswer.TooLarge) {
            return new LockServerException(LockServerException.UNREACHABLE,
                    method + ": " + url + " answered, but " + cause.getMessage(), e);
        }
        String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new LockServerException(LockServerException.UNREACHABLE,
                method + ": cannot reach lockserver at " + url + ": " + why, e);
    }

    @Override
    public String toString() {
        return url;
    }
}
