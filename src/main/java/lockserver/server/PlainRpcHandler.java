package lockserver.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import lockserver.wire.Fault;
import lockserver.core.LockException;
import lockserver.wire.ByteSink;
import lockserver.wire.PlainXmlRpc;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.util.HttpUtil;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Serves plain XML-RPC calls to {@code /RPC2} on the thread that read them, without the
 * servlet layer; everything else goes to the servlet context it wraps, on a pool thread.
 *
 * <p>A call takes the fast path only when it is a POST with a known length within
 * MAX_REQUEST_BYTES, an XML content type, no content encoding, and a body that
 * {@link PlainXmlRpc} reads; any other request, including every malformed one, is handed
 * to {@link RpcServlet} unchanged (its body replayed if already read), so limits, faults
 * and error pages stay exactly as the servlet makes them. Both paths execute through the
 * same {@link RpcServlet.Server}, so methods, checks, metrics and faults are the same.
 *
 * <p>The handler declares itself non-blocking, so Jetty runs it on the selector thread with
 * no hand-off to another thread: the lock operations take microseconds and waits complete
 * later without a thread. Calls that could block or take long (a journal to write,
 * password hashes to check, lists, admin calls, a reload) are executed on the pool
 * instead, as is anything sent to the servlet context.
 */
final class PlainRpcHandler extends Handler.Wrapper {
    /** Calls that only touch one lock's state: microseconds. The rest (lists, admin, reload) may take longer. */
    private static final Set<String> QUICK = Set.of("lock.query", "lock.acquire", "lock.wait", "lock.release",
            "lock.renew", "lock.check", "lock.status", "server.ping");

    private final String path;
    private final RpcServlet.Server rpc;
    private final int maxRequestBytes;
    private final SlowRequestGuard slowRequests;
    private final Executor pool;
    private final BooleanSupplier callsMayBlock;

    PlainRpcHandler(Handler servlets, String path, RpcServlet.Server rpc, int maxRequestBytes,
                    SlowRequestGuard slowRequests, Executor pool, BooleanSupplier callsMayBlock) {
        super(servlets);
        this.path = path;
        this.rpc = rpc;
        this.maxRequestBytes = maxRequestBytes;
        this.slowRequests = slowRequests;
        this.pool = pool;
        this.callsMayBlock = callsMayBlock;
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // what may block is dispatched to the pool
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        HttpFields headers = request.getHeaders();
        long length = request.getLength();
        String type = headers.get(HttpHeader.CONTENT_TYPE);
        if (!HttpMethod.POST.is(request.getMethod()) || !path.equals(Request.getPathInContext(request))
                || length <= 0 || length > maxRequestBytes || type != null && !RpcServlet.isXml(type)
                || headers.contains(HttpHeader.CONTENT_ENCODING)) {
            toServlets(request, response, callback);
            return true;
        }
        Connection connection = request.getConnectionMetaData().getConnection();
        new Call(request, response, callback, connection, slowRequests.begin(connection), (int) length).read();
        return true;
    }

    /** Hands the request to the servlet context on a pool thread (servlets block). */
    private void toServlets(Request request, Response response, Callback callback) {
        pool.execute(() -> {
            try {
                if (!super.handle(request, response, callback)) {
                    Response.writeError(request, response, callback, 404);
                }
            } catch (Throwable t) {
                callback.failed(t);
            }
        });
    }

    /** One request on the fast path: reads the body without blocking, then answers. */
    private final class Call {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Connection connection;
        private final SlowRequestGuard.State guard;
        private final byte[] body;
        private int filled;

        Call(Request request, Response response, Callback callback, Connection connection,
             SlowRequestGuard.State guard, int length) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.connection = connection;
            this.guard = guard;
            this.body = new byte[length];
        }

        void read() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // cut off or too slow: the same fault the servlet gives (the client may be gone)
                    slowRequests.end(connection, guard);
                    Throwable why = chunk.getFailure();
                    IOException cut = why instanceof IOException io ? io : new IOException(why.toString(), why);
                    respond(rpc.render(config(), null,
                            new XmlRpcException("Failed to read XML-RPC request: " + cut.getMessage(), cut)));
                    return;
                }
                ByteBuffer bytes = chunk.getByteBuffer();
                int n = Math.min(bytes.remaining(), body.length - filled);
                bytes.get(body, filled, n);
                filled += n;
                boolean last = chunk.isLast();
                chunk.release();
                if (last || filled == body.length) {
                    slowRequests.end(connection, guard); // the whole request is in
                    served();
                    return;
                }
            }
        }

        private void served() {
            PlainXmlRpc.Call plain = filled == body.length ? PlainXmlRpc.readCall(body, filled) : null;
            if (plain == null) {
                toServlets(new Replay(request, ByteBuffer.wrap(body, 0, filled)), response, callback);
            } else if (callsMayBlock.getAsBoolean() || !QUICK.contains(plain.method())) {
                try {
                    pool.execute(() -> execute(plain));
                } catch (RejectedExecutionException stopping) {
                    respond(rpc.render(config(), null, new LockException(Fault.SHUTTING_DOWN,
                            "the server is shutting down; call again after its restart")));
                }
            } else {
                execute(plain);
            }
        }

        /** The call's settings, as the servlet's XML-RPC server makes them. */
        private RpcServlet.RequestConfig config() {
            RpcServlet.RequestConfig config = new RpcServlet.RequestConfig(Request.getRemoteAddr(request),
                    connection.getEndPoint());
            config.setEnabledForExtensions(false);
            HttpField auth = request.getHeaders().getField(HttpHeader.AUTHORIZATION);
            HttpUtil.parseAuthorization(config, auth == null ? null : auth.getValue());
            return config;
        }

        private void execute(PlainXmlRpc.Call plain) {
            RpcServlet.RequestConfig config = config();
            CompletableFuture<ByteSink> answer = rpc.answer(config,
                    RpcServlet.Server.request(config, plain.method(), plain.params()));
            if (answer.isDone()) {
                respond(answer.join());
            } else {
                answer.whenComplete((body, failure) -> {
                    if (failure != null) {
                        callback.failed(failure);
                    } else {
                        respond(body);
                    }
                });
            }
        }

        private void respond(ByteSink answer) {
            response.setStatus(200);
            HttpFields.Mutable headers = response.getHeaders();
            headers.put(HttpHeader.CONTENT_TYPE, "text/xml; charset=UTF-8");
            headers.put(HttpHeader.CONTENT_LENGTH, answer.size());
            response.write(true, ByteBuffer.wrap(answer.array(), 0, answer.size()), callback);
        }
    }

    /** The request with the body this handler already read, for the servlets to read again. */
    private static final class Replay extends Request.Wrapper {
        private ByteBuffer rest;

        Replay(Request request, ByteBuffer body) {
            super(request);
            this.rest = body;
        }

        @Override
        public Content.Chunk read() {
            ByteBuffer b = rest;
            rest = null;
            return b == null ? Content.Chunk.EOF : Content.Chunk.from(b, true);
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run(); // read() never returns null
        }
    }
}
