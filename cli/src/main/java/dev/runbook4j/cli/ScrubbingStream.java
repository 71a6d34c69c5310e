package dev.runbook4j.cli;

import dev.runbook4j.Scrubber;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The process's standard output or error, scrubbed line by line of the secrets the command learns
 * (a script's {@code println} of a revealed secret, a log line, a driver's error): installed before
 * anything prints, told the secrets once the parameters are read ({@link #mask}).
 */
final class ScrubbingStream extends OutputStream {
  /** The longest line kept whole before it is written scrubbed anyway. */
  private static final int MAX_LINE = 64 * 1024;

  private final OutputStream out;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private volatile Scrubber scrubber = Scrubber.NONE;

  private ScrubbingStream(OutputStream out) {
    this.out = out;
  }

  private static ScrubbingStream stdout;
  private static ScrubbingStream stderr;

  /** Replaces {@code System.out} and {@code System.err} with scrubbing ones (once). */
  static synchronized void install() {
    if (stdout != null) {
      return;
    }
    stdout = new ScrubbingStream(System.out);
    stderr = new ScrubbingStream(System.err);
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
  }

  /** From now on both streams mask {@code more}'s secrets too. */
  static synchronized void mask(Scrubber more) {
    if (stdout != null && !more.isEmpty()) {
      stdout.scrubber = stdout.scrubber.and(more);
      stderr.scrubber = stderr.scrubber.and(more);
    }
  }

  @Override
  public synchronized void write(int b) throws IOException {
    line.write(b);
    if (b == '\n' || line.size() >= MAX_LINE) {
      drain();
    }
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    for (int i = off; i < off + len; i++) {
      write(b[i]);
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    drain();
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flush();
  }

  private void drain() throws IOException {
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    out.write(scrubber.scrub(text).getBytes(StandardCharsets.UTF_8));
  }
}
