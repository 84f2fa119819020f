package lockserver.server.rpc;

import java.nio.ByteBuffer;
import java.util.Locale;
import lockserver.core.LockException;
import lockserver.wire.ByteSink;
import lockserver.wire.Fault;
import org.apache.xmlrpc.XmlRpcRequest;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The JSON binding of the method table, {@code POST /v1/<method>}: the body is a JSON array
 * of the method's arguments, the answer (HTTP 200, as XML-RPC) the result as JSON or
 * {@code {"fault": {"code": N, "message": "..."}}}; a request refused before its body is read
 * gets its HTTP status (405, 413, 415) and a fault 8 body. Only {@code application/json} is
 * read: a browser sends that to another origin only after a CORS preflight, which this
 * server never grants, so a web page cannot make a logged-in browser call. Thread-safe.
 */
final class JsonBinding implements Binding {
    /** Every path under it names a method: /v1/lock.query. */
    static final String PREFIX = "/v1/";

    private final RpcEngine engine;

    JsonBinding(RpcEngine engine) {
        this.engine = engine;
    }

    @Override
    public String name() {
        return "the JSON binding";
    }

    @Override
    public String mediaType() {
        return "application/json";
    }

    /** application/json, with no charset or UTF-8. */
    @Override
    public boolean accepts(String contentType) {
        if (contentType == null) {
            return false;
        }
        String[] parts = contentType.split(";");
        if (!parts[0].trim().equalsIgnoreCase("application/json")) {
            return false;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length == 2 && kv[0].trim().equalsIgnoreCase("charset")
                    && !kv[1].trim().replace("\"", "").toLowerCase(Locale.ROOT).matches("utf-?8")) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String answerType() {
        return "application/json; charset=utf-8";
    }

    /** JSON is read in time linear in its length, bounded by the body cap: always here. */
    @Override
    public XmlRpcRequest readQuick(CallContext context, String path, byte[] body, int length) {
        String method = path.substring(PREFIX.length());
        return RpcEngine.request(context, method, JsonCodec.readArguments(method, body, length));
    }

    @Override
    public XmlRpcRequest read(CallContext context, String path, byte[] body, int length) {
        return readQuick(context, path, body, length);
    }

    @Override
    public ByteSink render(CallContext context, Object result, Throwable error) {
        if (error == null) {
            try {
                return JsonCodec.writeResult(result);
            } catch (RuntimeException e) {
                error = new IllegalStateException("cannot write the answer as JSON", e);
            }
        }
        LockException fault = engine.fault(error);
        return JsonCodec.writeFault(fault.fault(), fault.getMessage());
    }

    @Override
    public LockException unreadable(String why) {
        return new LockException(Fault.BAD_REQUEST, "malformed JSON request: " + why);
    }

    @Override
    public void refuse(Request request, Response response, Callback callback, int status, String message) {
        ByteSink body = JsonCodec.writeFault(Fault.BAD_REQUEST, message);
        response.setStatus(status);
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, answerType());
        headers.put(HttpHeader.CONTENT_LENGTH, body.size());
        if (status == HttpStatus.METHOD_NOT_ALLOWED_405) {
            headers.put(HttpHeader.ALLOW, "POST");
        }
        response.write(true, ByteBuffer.wrap(body.array(), 0, body.size()), callback);
    }
}
