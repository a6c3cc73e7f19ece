package io.ticketrush.statlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One line per request, appended to a file that several node processes share.
 *
 * <p>Request threads only enqueue; one writer thread appends whole lines in batches, each batch
 * in a single write to a file opened in append mode, so lines from different processes never
 * interleave and no file is opened per request. {@link #close()} writes everything queued; a line
 * appended after it (a request still being answered while the node stops) is written at once.
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

    private final Path path;
    private final FileChannel channel;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(1 << 16);
    private final Thread writer;
    /** Set before the writer's last drain: whoever appends after it writes the queue out itself. */
    private volatile boolean closed;

    public StatLog(Path path) {
        this.path = path.toAbsolutePath();
        try {
            if (this.path.getParent() != null) {
                Files.createDirectories(this.path.getParent());
            }
            this.channel = FileChannel.open(this.path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open stat log " + this.path, e);
        }
        this.writer = new Thread(this::drain, "stat-log-writer");
        this.writer.setDaemon(true);
        this.writer.start();
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
        try (FileChannel late = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            write(late, lines);
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "stat log write failed: " + path, e);
        }
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
            write(channel, batch);
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

    private static void write(FileChannel channel, List<String> lines) {
        StringBuilder chunk = new StringBuilder(Math.min(BATCH_BYTES, lines.size() * 64));
        for (String line : lines) {
            if (chunk.length() + line.length() + 1 > BATCH_BYTES && chunk.length() > 0) {
                writeChunk(channel, chunk);
                chunk.setLength(0);
            }
            chunk.append(line).append('\n');
        }
        if (chunk.length() > 0) {
            writeChunk(channel, chunk);
        }
    }

    private static void writeChunk(FileChannel channel, CharSequence chunk) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(chunk.toString());
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            LOG.log(Level.SEVERE, "stat log write failed", e);
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
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close stat log " + path, e);
        }
        writeLate();
    }
}
