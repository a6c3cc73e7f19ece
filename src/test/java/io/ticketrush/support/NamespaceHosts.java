package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;

/**
 * Several hosts on this machine, for tests: a network namespace each, with an address of its own
 * on a private subnet {@code 10.77.N.0/24}, all plugged into one bridge that sits in a namespace of
 * its own (the switch), so this machine's firewall never sees their traffic. The test's JVM
 * reaches them over one more link from the switch, at {@code 10.77.N.254}. {@link #cut} breaks what
 * one host sends to another with iptables inside the sending host, as a failed link or a firewall
 * would; nothing leaves this machine.
 *
 * <p>Needs root (as CI runs): where a namespace cannot be made the test is skipped, saying why;
 * under {@code CI=true} it fails instead, since CI runs as root and a skip there would leave the
 * build green without the test.
 * Names carry this JVM's PID ({@code rushmh-PID-NAME} namespaces, one {@code rmhPID} link in this
 * machine's own network) and the subnet is one no other run uses, so a run that crashed cannot
 * break the next one: that one first removes what runs whose JVM is gone left behind, and never
 * touches a live run's. {@link #close()} removes everything this made (processes left in its
 * namespaces, by PID; iptables rules; links; namespaces), failure or not, and checks it is gone.
 */
public final class NamespaceHosts implements AutoCloseable {
    private static final String PREFIX = "rushmh-";
    private static final String LINK_PREFIX = "rmh";
    private static final Duration COMMAND_LIMIT = Duration.ofSeconds(20);
    private static final Pattern OWNER = Pattern.compile("^(?:" + PREFIX + "|" + LINK_PREFIX + ")(\\d+)");

    /** How a cut link fails: silently, or at once. */
    public enum CutKind {
        /** Packets vanish both ways: connects and reads wait for their timeouts. */
        DROP,
        /** The sender's packets are answered with a TCP reset: connects and open connections fail at once. */
        REJECT
    }

    /** The iptables rules of one cut, in its sender's namespace; {@link #close()} heals it. */
    public final class Cut implements AutoCloseable {
        private final NetHost from;
        private final List<List<String>> rules;
        private boolean healed;

        private Cut(NetHost from, List<List<String>> rules) {
            this.from = from;
            this.rules = rules;
        }

        /** Removes the rules (once); traffic flows again. */
        @Override
        public synchronized void close() {
            if (healed) {
                return;
            }
            for (List<String> rule : rules) {
                iptables(from, "-D", rule);
            }
            healed = true;
            cuts.remove(this);
        }
    }

    private final long owner = ProcessHandle.current().pid();
    private final String subnet;
    private final String switchNamespace = PREFIX + owner + "-sw";
    private final String rootLink = LINK_PREFIX + owner;
    private final Map<String, NetHost> hosts = new LinkedHashMap<>();
    /** Namespaces made, the switch first. */
    private final List<String> namespaces = new ArrayList<>();
    /** The bridge ports in the switch, one per host. */
    private final List<String> switchPorts = new ArrayList<>();
    private boolean rootLinkMade;
    private final List<Cut> cuts = new CopyOnWriteArrayList<>();
    private final Thread onExit = new Thread(this::closeQuietly, "namespace-hosts-cleanup");

    private NamespaceHosts(String subnet) {
        this.subnet = subnet;
    }

    /**
     * Makes one host per name, each reachable from the others and from this JVM. Skips the test
     * (a JUnit assumption) if this machine cannot make network namespaces, or fails under
     * {@code CI=true}; fails if iptables is missing.
     */
    public static NamespaceHosts create(String... names) {
        if (effectiveUid() != 0) {
            skip("network namespaces need root (CI runs as root); this test runs as uid " + effectiveUid());
        }
        requireCommand("ip", "iproute2");
        removeLeftovers();
        NamespaceHosts made = new NamespaceHosts(freeSubnet());
        Runtime.getRuntime().addShutdownHook(made.onExit);
        try {
            made.build(names);
            return made;
        } catch (RuntimeException | Error e) {
            try {
                made.close();
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    public NetHost host(String name) {
        NetHost host = hosts.get(name);
        if (host == null) {
            throw new IllegalArgumentException("no host " + name + " (hosts: " + hosts.keySet() + ")");
        }
        return host;
    }

    /**
     * Cuts what {@code from} sends to {@code to}'s TCP port {@code port}, and (DROP) what comes back
     * from it; every other link stays up. Close the cut to heal it.
     */
    public synchronized Cut cut(NetHost from, NetHost to, int port, CutKind kind) {
        String tag = PREFIX + owner;
        List<List<String>> rules = new ArrayList<>();
        if (kind == CutKind.DROP) {
            rules.add(List.of("OUTPUT", "-p", "tcp", "-d", to.address(), "--dport", String.valueOf(port),
                    "-m", "comment", "--comment", tag, "-j", "DROP"));
            rules.add(List.of("INPUT", "-p", "tcp", "-s", to.address(), "--sport", String.valueOf(port),
                    "-m", "comment", "--comment", tag, "-j", "DROP"));
        } else {
            rules.add(List.of("OUTPUT", "-p", "tcp", "-d", to.address(), "--dport", String.valueOf(port),
                    "-m", "comment", "--comment", tag, "-j", "REJECT", "--reject-with", "tcp-reset"));
        }
        Cut cut = new Cut(from, rules);
        cuts.add(cut);
        List<List<String>> added = new ArrayList<>();
        try {
            for (List<String> rule : rules) {
                iptables(from, "-A", rule);
                added.add(rule);
            }
        } catch (RuntimeException e) {
            rules.retainAll(added);
            cut.close();
            throw e;
        }
        return cut;
    }

    private void build(String... names) {
        // the switch and its bridge first: where these fail, this machine cannot make hosts at all
        assumeMade("ip", "netns", "add", switchNamespace);
        namespaces.add(switchNamespace);
        assumeMade("ip", "-n", switchNamespace, "link", "add", "br0", "type", "bridge");
        requireCommand("iptables", "iptables");
        run("ip", "-n", switchNamespace, "link", "set", "br0", "up");
        int number = 1;
        for (String name : names) {
            String namespace = PREFIX + owner + "-" + name;
            run("ip", "netns", "add", namespace);
            namespaces.add(namespace);
            String port = "h" + number;
            run("ip", "-n", switchNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
                    namespace);
            switchPorts.add(port);
            run("ip", "-n", switchNamespace, "link", "set", port, "master", "br0", "up");
            String address = subnet + number;
            run("ip", "-n", namespace, "addr", "add", address + "/24", "dev", "eth0");
            run("ip", "-n", namespace, "link", "set", "eth0", "up");
            run("ip", "-n", namespace, "link", "set", "lo", "up");
            hosts.put(name, new NetHost(name, namespace, address));
            number++;
        }
        run("ip", "link", "add", rootLink, "type", "veth", "peer", "name", "up0", "netns", switchNamespace);
        rootLinkMade = true;
        run("ip", "-n", switchNamespace, "link", "set", "up0", "master", "br0", "up");
        run("ip", "addr", "add", subnet + "254/24", "dev", rootLink);
        run("ip", "link", "set", rootLink, "up");
    }

    /** Runs {@code command}; if it fails, skips the test: this machine cannot make namespaces and links. */
    private static void assumeMade(String... command) {
        ChildProcess.Result made = ChildProcess.run(List.of(command), COMMAND_LIMIT);
        if (made.exitCode() != 0) {
            skip("this machine cannot make network namespaces and their links (root with CAP_SYS_ADMIN and"
                    + " CAP_NET_ADMIN is needed, as CI runs): " + String.join(" ", command) + " said: "
                    + made.output().strip());
        }
    }

    /**
     * Skips the test (a JUnit assumption), saying why in the build's output too, not only in its
     * report; under {@code CI=true} (CI runs as root, .ci/run) fails instead.
     */
    private static void skip(String why) {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException("CI=true, where this test must run, and it cannot make its hosts: " + why);
        }
        System.out.println("skipped, no hosts of its own: " + why);
        Assumptions.abort(why);
    }

    /** Heals every cut, stops what still runs in the namespaces, removes the links and namespaces. */
    @Override
    public synchronized void close() {
        List<Runnable> steps = new ArrayList<>();
        for (Cut cut : List.copyOf(cuts)) {
            steps.add(cut::close);
        }
        for (String namespace : namespaces) {
            steps.add(() -> killProcessesIn(namespace));
        }
        for (String port : switchPorts) {
            steps.add(() -> run("ip", "-n", switchNamespace, "link", "del", port));
        }
        switchPorts.clear();
        if (rootLinkMade) {
            steps.add(() -> run("ip", "link", "del", rootLink));
            rootLinkMade = false;
        }
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            String namespace = namespaces.get(i);
            steps.add(() -> run("ip", "netns", "del", namespace));
        }
        steps.add(this::checkGone);
        RuntimeException first = Steps.runAll(steps);
        namespaces.clear();
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException shuttingDown) {
            // this is the shutdown hook
        }
        if (first != null) {
            throw first;
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("removing the test's network namespaces failed: " + e);
        }
    }

    private void checkGone() {
        List<String> left = new ArrayList<>();
        for (String name : namespaceNames()) {
            if (name.startsWith(PREFIX + owner + "-")) {
                left.add("namespace " + name);
            }
        }
        if (linkNames().contains(rootLink)) {
            left.add("link " + rootLink);
        }
        if (!left.isEmpty()) {
            throw new IllegalStateException("still there after removing them: " + left);
        }
    }

    /** Processes still in {@code namespace} (a server its test did not stop): SIGKILL by PID. */
    private static void killProcessesIn(String namespace) {
        for (String pid : run("ip", "netns", "pids", namespace).split("\\s+")) {
            if (!pid.isBlank()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(process -> {
                    process.destroyForcibly();
                    try {
                        process.onExit().get(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (ExecutionException | TimeoutException e) {
                        throw new IllegalStateException("pid " + pid + " in " + namespace + " survived SIGKILL", e);
                    }
                });
            }
        }
    }

    /** What runs whose JVM is gone (or had this PID before) left: processes, links, namespaces. */
    private static void removeLeftovers() {
        long self = ProcessHandle.current().pid();
        for (String link : linkNames()) {
            // deleting one end of a veth pair deletes the other: look again each time
            if (leftOver(link, self) && linkNames().contains(link)) {
                run("ip", "link", "del", link);
            }
        }
        for (String namespace : namespaceNames()) {
            if (leftOver(namespace, self)) {
                killProcessesIn(namespace);
                run("ip", "netns", "del", namespace);
            }
        }
    }

    private static boolean leftOver(String name, long self) {
        Matcher owner = OWNER.matcher(name);
        if (!owner.find()) {
            return false;
        }
        long pid = Long.parseLong(owner.group(1));
        return pid == self || ProcessHandle.of(pid).map(process -> !process.isAlive()).orElse(true);
    }

    /** 10.77.N. with an N no address of this machine's own network uses (another run's link has one). */
    private static String freeSubnet() {
        Set<Integer> used = new HashSet<>();
        Matcher inUse = Pattern.compile("inet 10\\.77\\.(\\d+)\\.").matcher(run("ip", "-o", "-4", "addr", "show"));
        while (inUse.find()) {
            used.add(Integer.parseInt(inUse.group(1)));
        }
        int start = (int) (ProcessHandle.current().pid() % 200);
        for (int i = 0; i < 200; i++) {
            int n = 20 + (start + i) % 200;
            if (!used.contains(n)) {
                return "10.77." + n + ".";
            }
        }
        throw new IllegalStateException("every subnet 10.77.20-219.0/24 is in use on this machine");
    }

    private static List<String> namespaceNames() {
        List<String> names = new ArrayList<>();
        for (String line : run("ip", "netns", "list").split("\n")) {
            if (!line.isBlank()) {
                names.add(line.strip().split("\\s+")[0]);
            }
        }
        return names;
    }

    /** The links of this machine's own network ("12: rmh123@if3: <...>" -> rmh123). */
    private static List<String> linkNames() {
        List<String> names = new ArrayList<>();
        for (String line : run("ip", "-o", "link", "show").split("\n")) {
            String[] fields = line.split(":\\s+", 3);
            if (fields.length >= 2) {
                names.add(fields[1].split("@")[0]);
            }
        }
        return names;
    }

    /** The effective user id, from /proc (Java has no call for it). */
    private static long effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.split("\\s+")[2]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/self/status", e);
        }
        throw new IllegalStateException("/proc/self/status has no Uid line");
    }

    private static void iptables(NetHost host, String action, List<String> rule) {
        List<String> command = new ArrayList<>(List.of("iptables", "-w", action));
        command.addAll(rule);
        run(host.command(command).toArray(String[]::new));
    }

    private static void requireCommand(String command, String debianPackage) {
        try {
            ChildProcess.run(List.of(command, "-V"), COMMAND_LIMIT);
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(command + " is missing: ./rush test installs it as root (or apt-get"
                    + " install -y " + debianPackage + ")", e);
        }
    }

    private static String run(String... command) {
        ChildProcess.Result result = ChildProcess.run(List.of(command), COMMAND_LIMIT);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + result.exitCode() + "): "
                    + result.output().strip());
        }
        return result.output();
    }
}
