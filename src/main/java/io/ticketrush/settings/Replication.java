package io.ticketrush.settings;

import java.util.List;

/**
 * Whether Redis is one server ({@code rush.redis.host}, {@code rush.redis.port}), a primary
 * with replicas found through Sentinels ({@code rush.redis.mode=sentinel}), or a Redis Cluster
 * whose masters each have a replica ({@code rush.redis.mode=cluster}, found from the seed
 * addresses {@code rush.redis.cluster}), and, with replicas, how long a write may wait for one
 * of them to have it (docs/replication.md, docs/cluster.md).
 *
 * @param mode {@code rush.redis.mode}
 * @param sentinels {@code rush.redis.sentinels}: host:port of each Sentinel
 * @param master {@code rush.redis.master}: the name the Sentinels give the primary
 * @param waitMillis {@code rush.redis.wait.ms}: how long a write waits for a replica
 * @param clusterNodes {@code rush.redis.cluster}: host:port of the seed nodes
 */
public record Replication(Mode mode, List<String> sentinels, String master, int waitMillis,
        List<String> clusterNodes) {

    /** {@code rush.redis.mode}. */
    public enum Mode { SINGLE, SENTINEL, CLUSTER }

    public Replication {
        sentinels = List.copyOf(sentinels);
        clusterNodes = List.copyOf(clusterNodes);
    }

    /** How many replicas must have a write before it is answered: one with Sentinel or Cluster, none alone. */
    public int replicasToWait() {
        return mode == Mode.SINGLE ? 0 : 1;
    }

    /** The replication settings; a wait must end before {@code timeoutMillis}, the read timeout. */
    static Replication read(SettingsReader in, int timeoutMillis) {
        Mode mode = mode(in);
        return new Replication(mode, sentinels(in), master(in), waitMillis(in, mode, timeoutMillis), clusterNodes(in));
    }

    private static Mode mode(SettingsReader in) {
        String mode = in.text("rush.redis.mode");
        switch (mode.toLowerCase()) {
            case "single":
                return Mode.SINGLE;
            case "sentinel":
                return Mode.SENTINEL;
            case "cluster":
                return Mode.CLUSTER;
            default:
                in.problem("rush.redis.mode=" + mode + " must be single, sentinel or cluster");
                return Mode.SINGLE;
        }
    }

    private static List<String> sentinels(SettingsReader in) {
        return in.addresses("rush.redis.sentinels");
    }

    private static String master(SettingsReader in) {
        return in.identifier("rush.redis.master");
    }

    private static int waitMillis(SettingsReader in, Mode mode, int timeoutMillis) {
        int wait = in.number("rush.redis.wait.ms", 1, 60_000);
        if (mode != Mode.SINGLE && wait >= timeoutMillis) {
            in.problem("rush.redis.wait.ms=" + wait + " must be below rush.redis.timeout.ms=" + timeoutMillis
                    + " (the wait's answer must come back within the read timeout)");
        }
        return wait;
    }

    private static List<String> clusterNodes(SettingsReader in) {
        return in.addresses("rush.redis.cluster");
    }
}
