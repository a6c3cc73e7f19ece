package io.ticketrush.support;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a test server runs: this machine's loopback, or a host simulated by a network namespace
 * ({@link NamespaceHosts}) with an address of its own. A server started with {@link #command} runs
 * inside the namespace and listens on {@link #address()}.
 *
 * @param name what the test calls the host ("nginx", "b", ...)
 * @param namespace the network namespace, or null for this machine's own network
 * @param address the address the host's servers listen on and are reached at
 */
public record NetHost(String name, String namespace, String address) {
    public static final NetHost LOOPBACK = new NetHost("loopback", null, "127.0.0.1");

    /**
     * {@code command} run on this host. {@code ip netns exec} execs the command after entering the
     * namespace, so the process started is the command itself: its PID is the server's.
     */
    public List<String> command(List<String> command) {
        if (namespace == null) {
            return command;
        }
        List<String> inside = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        inside.addAll(command);
        return inside;
    }

    public boolean loopback() {
        return namespace == null;
    }

    public URI uri(int port, String path) {
        return URI.create("http://" + address + ":" + port + path);
    }

    @Override
    public String toString() {
        return loopback() ? address : name + " (" + address + " in " + namespace + ")";
    }
}
