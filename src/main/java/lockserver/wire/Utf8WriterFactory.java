package lockserver.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import org.apache.ws.commons.serialize.XMLWriter;
import org.apache.ws.commons.serialize.XMLWriterImpl;
import org.apache.xmlrpc.common.XmlRpcStreamConfig;
import org.apache.xmlrpc.serializer.XmlWriterFactory;
import org.xml.sax.ContentHandler;

/**
 * Writes XML-RPC documents as UTF-8 straight into the stream it is given. The library's
 * default wraps every response in fresh 8 K char and byte buffers, most of what a call
 * allocates (our streams are in-memory buffers already), and it writes characters outside
 * the Basic Multilingual Plane as invalid character references. Stateless and thread-safe.
 */
public final class Utf8WriterFactory implements XmlWriterFactory {
    @Override
    public ContentHandler getXmlWriter(XmlRpcStreamConfig config, OutputStream out) {
        XMLWriter w = new XMLWriterImpl() {
            @Override
            public boolean canEncode(char c) {
                // the library would write each half of a surrogate pair as a character
                // reference, which XML forbids; Utf8Writer encodes the pair
                return Character.isSurrogate(c) || super.canEncode(c);
            }
        };
        w.setEncoding("UTF-8");
        w.setDeclarating(true);
        w.setIndenting(false);
        w.setFlushing(false);
        w.setWriter(new Utf8Writer(out));
        return w;
    }

    /** A Writer that encodes each char to UTF-8 as it comes; no buffer of its own. */
    private static final class Utf8Writer extends Writer {
        private final OutputStream out;
        private char highSurrogate;

        Utf8Writer(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int c) throws IOException {
            char ch = (char) c;
            if (highSurrogate != 0) {
                char high = highSurrogate;
                highSurrogate = 0;
                if (Character.isLowSurrogate(ch)) {
                    int cp = Character.toCodePoint(high, ch);
                    out.write(0xF0 | (cp >> 18));
                    out.write(0x80 | ((cp >> 12) & 0x3F));
                    out.write(0x80 | ((cp >> 6) & 0x3F));
                    out.write(0x80 | (cp & 0x3F));
                    return;
                }
                out.write('?'); // a lone high surrogate
            }
            if (ch < 0x80) {
                out.write(ch);
            } else if (ch < 0x800) {
                out.write(0xC0 | (ch >> 6));
                out.write(0x80 | (ch & 0x3F));
            } else if (Character.isHighSurrogate(ch)) {
                highSurrogate = ch;
            } else if (Character.isLowSurrogate(ch)) {
                out.write('?'); // a lone low surrogate
            } else {
                out.write(0xE0 | (ch >> 12));
                out.write(0x80 | ((ch >> 6) & 0x3F));
                out.write(0x80 | (ch & 0x3F));
            }
        }

        @Override
        public void write(char[] buf, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                write(buf[i]);
            }
        }

        @Override
        public void write(String s, int off, int len) throws IOException {
            for (int i = off; i < off + len; i++) {
                write(s.charAt(i));
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
