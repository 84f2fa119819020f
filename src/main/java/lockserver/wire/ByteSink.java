package lockserver.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable in-memory byte stream to write a document into, like ByteArrayOutputStream
 * but unsynchronised, with ASCII writes that need no encoder and access to its buffer
 * without a copy. Not thread-safe.
 */
public final class ByteSink extends OutputStream {
    private byte[] buf;
    private int size;

    public ByteSink(int capacity) {
        buf = new byte[capacity];
    }

    @Override
    public void write(int b) {
        if (size == buf.length) {
            grow(1);
        }
        buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes) {
        write(bytes, 0, bytes.length);
    }

    @Override
    public void write(byte[] bytes, int off, int len) {
        if (size + len > buf.length) {
            grow(len);
        }
        System.arraycopy(bytes, off, buf, size, len);
        size += len;
    }

    /** Writes a string known to hold only ASCII characters, one byte each. */
    @SuppressWarnings("deprecation") // the one String method that copies ASCII without an encoder
    public ByteSink writeAscii(String s) {
        int n = s.length();
        if (size + n > buf.length) {
            grow(n);
        }
        s.getBytes(0, n, buf, size);
        size += n;
        return this;
    }

    private void grow(int more) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }

    public int size() {
        return size;
    }

    /** The buffer itself, valid up to {@link #size}. */
    public byte[] array() {
        return buf;
    }

    public void reset() {
        size = 0;
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(buf, 0, size);
    }
}
