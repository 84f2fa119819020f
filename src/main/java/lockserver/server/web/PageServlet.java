package lockserver.server.web;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A read-only page served by GET: TRACE, which {@link HttpServlet} would answer by echoing
 * the request (headers and all), is refused with 405 like the other methods it lacks.
 */
abstract class PageServlet extends HttpServlet {
    @Override
    protected void doTrace(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
    }
}
