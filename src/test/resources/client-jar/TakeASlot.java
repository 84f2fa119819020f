import java.io.IOException;
import java.time.Duration;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;

/**
 * A user's program on lockserver-client.jar alone (ClientJarIT compiles and runs it): takes a
 * slot of lock args[1] at args[0], says so and holds it until a line arrives on stdin, releases
 * it, then shows that a fault reaches it as a code.
 */
public final class TakeASlot {
    public static void main(String[] args) throws IOException {
        LockClient client = new LockClient(args[0]);
        try (Lock lock = client.lock(args[1])) {
            if (!lock.acquire("TakeASlot", Duration.ofSeconds(30))) {
                System.out.println("not granted");
                System.exit(1);
            }
            System.out.println("granted " + lock.ticket() + " token " + lock.token());
            System.in.read();
            System.out.println("released " + lock.release());
        }
        try {
            client.status("NoSuchLock");
            System.out.println("no fault");
        } catch (LockServerException e) {
            System.out.println("fault " + e.faultCode());
        }
    }
}
