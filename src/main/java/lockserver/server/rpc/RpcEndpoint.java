package lockserver.server.rpc;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import lockserver.core.LockException;
import lockserver.server.web.Metrics;
import lockserver.wire.ByteSink;
import lockserver.wire.Fault;
import org.apache.xmlrpc.XmlRpcRequest;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The one door of {@code /RPC2} and {@code /v1/<method>}: every call, in every configuration
 * and either binding (XML-RPC or JSON, see {@link Binding}), takes this path.
 * <ol>
 * <li>The request's limits are checked once: POST only (405), the binding's content type (415),
 *     no content encoding (415), a declared length within MAX_REQUEST_BYTES (413, before
 *     the body is read); a chunked body over the cap or one cut off is fault 8.</li>
 * <li>The body is read without blocking, then decoded by the binding.</li>
 * <li>The method runs: on the thread that read it when it is quick (one lock's state)
 *     and needs no password hash checked, else on the pool. Authentication, arguments and
 *     the journal's promise are {@link LockService}'s.</li>
 * <li>The answer is sent when its future completes: at once, when a wait is granted, or
 *     when the journal has the change. No thread waits for any of them.</li>
 * </ol>
 * Every answer says {@code X-Content-Type-Options: nosniff}; those of the two bindings, and
 * refusals, also a Content-Security-Policy that lets a browser load and frame nothing.
 * Everything else (the status page, /metrics) goes to the handler it wraps, on the pool.
 * Declared non-blocking, so Jetty runs it on the selector thread with no hand-off.
 */
public final class RpcEndpoint extends Handler.Wrapper {
    public static final String PATH = "/RPC2";
    private static final PreEncodedHttpField NOSNIFF = new PreEncodedHttpField("X-Content-Type-Options", "nosniff");
    private static final PreEncodedHttpField NOTHING = new PreEncodedHttpField("Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'");

    private final LockService service;
    private final RpcEngine engine;
    private final JsonBinding json;
    private final int maxRequestBytes;
    private final SlowRequestGuard slowRequests;
    private final Executor pool;

    public RpcEndpoint(Handler others, LockService service, Metrics metrics, int maxRequestBytes,
                       SlowRequestGuard slowRequests, Executor pool) {
        super(others);
        this.service = service;
        this.engine = new RpcEngine(service, metrics);
        this.json = new JsonBinding(engine);
        this.maxRequestBytes = maxRequestBytes;
        this.slowRequests = slowRequests;
        this.pool = pool;
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // what may block is dispatched to the pool
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        Binding binding = PATH.equals(path) ? engine : path.startsWith(JsonBinding.PREFIX) ? json : null;
        HttpFields.Mutable answer = response.getHeaders();
        answer.put(NOSNIFF);
        if (binding == null) {
            onPool(() -> {
                if (!super.handle(request, response, callback)) {
                    answer.put(NOTHING);
                    Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                }
            }, request, response, callback);
            return true;
        }
        answer.put(NOTHING);
        HttpFields headers = request.getHeaders();
        String type = headers.get(HttpHeader.CONTENT_TYPE); // raw: Jetty's parsed form throws on unknown charsets
        long length = request.getLength();
        if (!HttpMethod.POST.is(request.getMethod())) {
            binding.refuse(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
                    binding.name() + " takes POST");
        } else if (!binding.accepts(type)) {
            binding.refuse(request, response, callback, HttpStatus.UNSUPPORTED_MEDIA_TYPE_415,
                    binding.name() + " takes " + binding.mediaType() + (type == null ? "; send Content-Type: "
                            + binding.mediaType() : ", not " + type));
        } else if (headers.contains(HttpHeader.CONTENT_ENCODING)) {
            binding.refuse(request, response, callback, HttpStatus.UNSUPPORTED_MEDIA_TYPE_415,
                    binding.name() + " takes an unencoded body, not " + headers.get(HttpHeader.CONTENT_ENCODING));
        } else if (length > maxRequestBytes) {
            binding.refuse(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413,
                    "request body of " + length + " bytes is larger than MAX_REQUEST_BYTES=" + maxRequestBytes);
        } else {
            new Call(request, response, callback, binding, path, length).read();
        }
        return true;
    }

    /** Work for the pool, which may throw what a Jetty handler may. */
    private interface Work {
        void run() throws Exception;
    }

    private void onPool(Work work, Request request, Response response, Callback callback) {
        try {
            pool.execute(() -> {
                try {
                    work.run();
                } catch (Throwable t) {
                    callback.failed(t);
                }
            });
        } catch (RejectedExecutionException stopping) {
            response.getHeaders().put(NOTHING);
            Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503);
        }
    }

    /** One call: reads the body without blocking, then runs and answers. */
    private final class Call {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final Binding binding;
        private final String path;
        private final Connection connection;
        private final SlowRequestGuard.State guard;
        private final long declared; // the Content-Length, or -1 (chunked)
        private byte[] body;
        private int filled;

        Call(Request request, Response response, Callback callback, Binding binding, String path, long length) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.binding = binding;
            this.path = path;
            this.connection = request.getConnectionMetaData().getConnection();
            this.guard = slowRequests.begin(connection);
            this.declared = length;
            this.body = new byte[length >= 0 ? (int) length : 1024];
        }

        void read() {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this::read);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    // cut off or too slow (the client may be gone)
                    slowRequests.end(connection, guard);
                    respond(binding.render(context(), null, binding.unreadable(
                            "the request body could not be read whole (cut off or too slow)")));
                    return;
                }
                ByteBuffer bytes = chunk.getByteBuffer();
                if (filled + bytes.remaining() > maxRequestBytes) {
                    chunk.release();
                    slowRequests.end(connection, guard);
                    respond(binding.render(context(), null, binding.unreadable(
                            "request body larger than MAX_REQUEST_BYTES=" + maxRequestBytes)));
                    return;
                }
                if (filled + bytes.remaining() > body.length) {
                    body = Arrays.copyOf(body, Math.min(maxRequestBytes, Math.max(body.length * 2,
                            filled + bytes.remaining())));
                }
                int n = bytes.remaining();
                bytes.get(body, filled, n);
                filled += n;
                boolean last = chunk.isLast() || filled == declared; // a known length needs no wait for the end
                chunk.release();
                if (last) {
                    slowRequests.end(connection, guard); // the whole request is in
                    dispatch();
                    return;
                }
            }
        }

        private CallContext context() {
            return new CallContext(Request.getRemoteAddr(request), connection.getEndPoint(),
                    request.getHeaders().get(HttpHeader.AUTHORIZATION));
        }

        /** Runs a quick call read quickly here, anything else on the pool. */
        private void dispatch() {
            CallContext context = context();
            XmlRpcRequest quick;
            try {
                quick = binding.readQuick(context, path, body, filled);
            } catch (RuntimeException refused) { // a fault, or a bug the binding answers as fault 99
                respond(binding.render(context, null, refused));
                return;
            }
            if (quick != null && service.isQuick(quick.getMethodName(), context)) {
                run(context, quick);
                return;
            }
            try {
                pool.execute(() -> run(context, quick));
            } catch (RejectedExecutionException stopping) {
                respond(binding.render(context, null, new LockException(Fault.SHUTTING_DOWN,
                        "the server is shutting down; call again after its restart")));
            }
        }

        private void run(CallContext context, XmlRpcRequest quick) {
            CompletableFuture<ByteSink> answer;
            try {
                answer = engine.answer(context, quick != null ? quick : binding.read(context, path, body, filled),
                        binding);
            } catch (Throwable t) {
                answer = CompletableFuture.completedFuture(binding.render(context, null, t));
            }
            body = null;
            if (answer.isDone()) {
                respond(answer.join());
            } else {
                answer.whenComplete((doc, failure) -> {
                    if (failure != null) {
                        callback.failed(failure);
                    } else {
                        respond(doc);
                    }
                });
            }
        }

        private void respond(ByteSink answer) {
            response.setStatus(HttpStatus.OK_200);
            HttpFields.Mutable headers = response.getHeaders();
            headers.put(HttpHeader.CONTENT_TYPE, binding.answerType());
            headers.put(HttpHeader.CONTENT_LENGTH, answer.size());
            response.write(true, ByteBuffer.wrap(answer.array(), 0, answer.size()), callback);
        }
    }
}
