package io.ticketrush.statlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One line per request, appended to a file that several node processes share, rotated by size.
 *
 * <p>Request threads only enqueue; one writer thread appends whole lines in batches, each batch
 * in a single write to a file opened in append mode, so lines from different processes never
 * interleave and no file is opened per request. {@link #close()} writes everything queued; a line
 * appended after it (a request still being answered while the node stops) is written at once.
 *
 * <p>Rotation: before a write would take the file past {@code maxBytes}, it becomes
 * {@code stat.log.1} ({@code .1} becomes {@code .2}, ..., the one past {@code keep} is deleted) and
 * a new {@code stat.log} is begun. Every write and every rotation, by any of the processes sharing
 * the file, happens under one lock ({@code stat.log.lock}, a file lock, with a lock of this JVM's
 * around it for the nodes of one JVM), and a writer that finds its open file no longer is
 * {@code stat.log} (another process rotated it) opens the new one before it writes. So a line is
 * never split between two files, never written into a file already rotated away, and never lost:
 * {@link #files} in order hold every line once.
 */
public final class StatLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StatLog.class.getName());
    private static final int BATCH_BYTES = 60 * 1024;
    /**
     * After each write the writer lets lines gather this long: one write (and one wake-up) per
     * pause under load, instead of one per request as lines trickle in.
     */
    private static final long GATHER_MILLIS = 20;
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String STOP = new String("stop");
    /** The nodes of one JVM (tests) writing one file: the file lock is the process's, so they take this first. */
    private static final Map<Path, ReentrantLock> IN_THIS_JVM = new ConcurrentHashMap<>();

    private final Path path;
    private final long maxBytes;
    private final int keep;
    private final ReentrantLock jvmLock;
    private final FileChannel lockFile;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(1 << 16);
    private final Thread writer;
    /** The file being appended to, and its identity (device and inode), both under the lock. */
    private FileChannel channel;
    private Object channelKey;
    /** Set before the writer's last drain: whoever appends after it writes the queue out itself. */
    private volatile boolean closed;

    /** A stat.log never rotated (tests, a node of the compare script). */
    public StatLog(Path path) {
        this(path, Long.MAX_VALUE, 1);
    }

    /**
     * @param maxBytes rotated before a write would take it past this size (a line longer than it
     *     has a file of its own)
     * @param keep rotated files kept: {@code stat.log.1} (the newest) to {@code stat.log.KEEP}
     */
    public StatLog(Path path, long maxBytes, int keep) {
        if (maxBytes < 1 || keep < 1) {
            throw new IllegalArgumentException("stat log " + path + ": maxBytes and keep must be at least 1, not "
                    + maxBytes + " and " + keep);
        }
        this.path = path.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.jvmLock = IN_THIS_JVM.computeIfAbsent(this.path, p -> new ReentrantLock());
        try {
            if (this.path.getParent() != null) {
                Files.createDirectories(this.path.getParent());
            }
            this.lockFile = FileChannel.open(lockPath(this.path), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open stat log " + this.path, e);
        }
        withLock(() -> {
            openCurrent();
            return null;
        });
        this.writer = new Thread(this::drain, "stat-log-writer");
        this.writer.setDaemon(true);
        this.writer.start();
    }

    /**
     * The files of the stat log at {@code path}, oldest first: its rotated files that exist
     * ({@code stat.log.K} ... {@code stat.log.1}), then itself if it exists. Read in this order,
     * they hold its lines in the order each node wrote them.
     */
    public static List<Path> files(Path path) {
        Path dir = path.toAbsolutePath().getParent();
        String name = path.getFileName().toString();
        Pattern rotated = Pattern.compile(Pattern.quote(name) + "\\.([1-9][0-9]*)");
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(dir)) {
            listing.filter(file -> rotated.matcher(file.getFileName().toString()).matches())
                    .sorted(Comparator.comparingLong((Path file) -> rotation(file, name)).reversed())
                    .forEach(files::add);
        } catch (NoSuchFileException e) {
            return files; // no folder, no file
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        if (Files.exists(path)) {
            files.add(path);
        }
        return files;
    }

    private static long rotation(Path file, String name) {
        return Long.parseLong(file.getFileName().toString().substring(name.length() + 1));
    }

    /** The lock file every writer of {@code path} takes for each write and rotation. */
    public static Path lockPath(Path path) {
        return path.resolveSibling(path.getFileName() + ".lock");
    }

    /** Queues one line; blocks only if the writer is 65,536 lines behind. */
    public void append(StatLine line) {
        append(line.format());
    }

    /** Queues one line (without its newline); blocks only if the writer is 65,536 lines behind. */
    void append(String line) {
        try {
            queue.put(line);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closed && !writer.isAlive()) {
            writeLate();
        }
    }

    /**
     * After {@link #close()}, once the writer is gone: writes what is queued, opening the file for
     * it. A line queued while the writer still ran is written by the writer, or by close.
     */
    private synchronized void writeLate() {
        List<String> lines = new ArrayList<>();
        queue.drainTo(lines);
        if (lines.isEmpty()) {
            return;
        }
        write(lines);
        withLock(() -> {
            closeChannel();
            return null;
        });
    }

    public Path path() {
        return path;
    }

    private void drain() {
        List<String> batch = new ArrayList<>(1024);
        boolean stopping = false;
        while (!stopping) {
            try {
                String first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 4096);
            } catch (InterruptedException e) {
                stopping = true;
                queue.drainTo(batch);
            }
            // identity, not equals: a logged line may read "stop"
            if (batch.removeIf(line -> line == STOP)) {
                stopping = true;
                queue.drainTo(batch);
            }
            write(batch);
            batch.clear();
            if (!stopping) {
                try {
                    Thread.sleep(GATHER_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the next poll ends the loop, writing what is queued
                }
            }
        }
    }

    /** Appends {@code lines}, under the lock, rotating between two lines where the size says so. */
    private void write(List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        try {
            withLock(() -> {
                openCurrent();
                appendRotating(lines);
                return null;
            });
        } catch (UncheckedIOException e) {
            LOG.log(Level.SEVERE, "stat log write failed: " + path + " (" + lines.size() + " lines)", e);
        }
    }

    private void appendRotating(List<String> lines) throws IOException {
        long size = channel.size();
        boolean mayRotate = true;
        Chunk chunk = new Chunk();
        for (String line : lines) {
            byte[] bytes = (line + '\n').getBytes(StandardCharsets.UTF_8);
            if (chunk.length > 0 && chunk.length + bytes.length > BATCH_BYTES) {
                size += chunk.writeTo(channel);
            }
            if (mayRotate && size + chunk.length > 0 && size + chunk.length + bytes.length > maxBytes) {
                size += chunk.writeTo(channel);
                try {
                    rotate();
                    size = 0;
                } catch (IOException e) {
                    // the lines go on into the file as it is: a log too long rather than a line lost
                    LOG.log(Level.SEVERE, "stat log " + path + ": could not rotate it, appending on", e);
                    mayRotate = false;
                    openCurrent();
                    size = channel.size();
                }
            }
            chunk.add(bytes);
        }
        chunk.writeTo(channel);
    }

    /** Whole lines gathered for one write. */
    private static final class Chunk {
        private byte[] bytes = new byte[4096];
        private int length;

        void add(byte[] line) {
            if (length + line.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + line.length));
            }
            System.arraycopy(line, 0, bytes, length, line.length);
            length += line.length;
        }

        /** Writes and empties it; returns how many bytes were written. */
        int writeTo(FileChannel channel) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            int written = length;
            length = 0;
            return written;
        }
    }

    /**
     * stat.log becomes stat.log.1, each stat.log.N stat.log.N+1, and those that would be past
     * {@code keep} are deleted (also any left by a larger {@code keep} before). Under the lock.
     */
    private void rotate() throws IOException {
        List<Path> older = files(path);
        older.remove(path);
        String name = path.getFileName().toString();
        for (Path file : older) { // the oldest first
            long n = rotation(file, name);
            if (n >= keep) {
                Files.delete(file);
            } else {
                Files.move(file, rotated(n + 1), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.move(path, rotated(1), StandardCopyOption.ATOMIC_MOVE);
        closeChannel();
        openCurrent();
    }

    private Path rotated(long n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    /**
     * Makes {@link #channel} the file now at {@link #path}: another process may have rotated the
     * one this opened (or an operator removed it). Under the lock.
     */
    private void openCurrent() throws IOException {
        Object key = null;
        try {
            key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            // made below
        }
        if (channel != null && channel.isOpen() && key != null && Objects.equals(key, channelKey)) {
            return;
        }
        closeChannel();
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        channelKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    private void closeChannel() throws IOException {
        if (channel != null) {
            FileChannel open = channel;
            channel = null;
            channelKey = null;
            open.close();
        }
    }

    private interface LockedWork<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code work} holding this JVM's lock of the file, then the file lock every process takes
     * (after {@link #close()}, on the lock file opened again for it: a line appended late).
     */
    private <T> T withLock(LockedWork<T> work) {
        jvmLock.lock();
        try {
            FileChannel locking = lockFile.isOpen() ? lockFile
                    : FileChannel.open(lockPath(path), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try (FileLock held = locking.lock()) {
                return work.run();
            } finally {
                if (locking != lockFile) {
                    locking.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("stat log " + path, e);
        } finally {
            jvmLock.unlock();
        }
    }

    /** Writes every queued line, then closes the file; a line appended later is written at once. */
    @Override
    public void close() {
        closed = true;
        try {
            queue.put(STOP);
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        withLock(() -> {
            closeChannel();
            return null;
        });
        // the JVM's lock first: closing a channel drops every lock this process holds on the file
        jvmLock.lock();
        try {
            lockFile.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close stat log " + path, e);
        } finally {
            jvmLock.unlock();
        }
        writeLate();
    }
}
