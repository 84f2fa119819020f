package lockserver.server.rpc;

import lockserver.core.LockException;
import lockserver.wire.ByteSink;
import org.apache.xmlrpc.XmlRpcRequest;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * How calls and answers are written at one URL: XML-RPC documents at {@code /RPC2}
 * ({@link RpcEngine}), JSON at {@code /v1/<method>} ({@link JsonBinding}). Everything
 * else, limits, threads, the method table and its authorization, is {@link RpcEndpoint}'s
 * and the same for every binding. Implementations are thread-safe.
 */
interface Binding {
    /** Its name in messages, as in "XML-RPC takes POST". */
    String name();

    /** The media type it reads, for messages. */
    String mediaType();

    /** Whether it reads a body of this Content-Type; {@code null}: none was sent. */
    boolean accepts(String contentType);

    /** The Content-Type of its answers. */
    String answerType();

    /**
     * The call in a body whose request went to {@code path}, read on the thread that read
     * the body, or null when reading it may take long: then {@link #read} reads it on the pool.
     * May throw the {@link LockException} that refuses the call.
     */
    XmlRpcRequest readQuick(CallContext context, String path, byte[] body, int length);

    /** The call, read on the pool; throws the {@link LockException} that refuses it. */
    XmlRpcRequest read(CallContext context, String path, byte[] body, int length);

    /** The answer: the result, or the fault made of {@code error} (counted and logged). Never fails. */
    ByteSink render(CallContext context, Object result, Throwable error);

    /** Fault 8 for a body that could not be read whole, or that was larger than the cap. */
    LockException unreadable(String why);

    /** Answers a request refused before its body is read with {@code status}. */
    void refuse(Request request, Response response, Callback callback, int status, String message);
}
