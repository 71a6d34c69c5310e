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
 * anything prints, told the secrets once the parameters are read ({@link #mask}). Control
 * characters are printed escaped ({@code \x1B}), whoever wrote them — a script's output, an error
 * message, a user name given with {@code --as} — so that nothing printed can clear the screen, move
 * the cursor or turn text around; the one sequence kept is the status line's own "back to the
 * start of the line and clear it".
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

  /** A scrubbing stream over {@code out} (for tests; the command line uses {@link #install}). */
  static ScrubbingStream over(OutputStream out) {
    return new ScrubbingStream(out);
  }

  /** The thread writing the terminal's status line (or an event line above it) marks itself here. */
  static final ThreadLocal<Boolean> STATUS_WRITER = ThreadLocal.withInitial(() -> false);

  /** Called when other output cleared the status line: the line should be drawn again. */
  private static final java.util.concurrent.atomic.AtomicReference<Runnable> STATUS = new java.util.concurrent.atomic.AtomicReference<>();

  /**
   * The status line is on screen: whatever else is written next (a script's own print, on either
   * stream) first clears it, so it never runs into the status line, and {@code onCleared} runs.
   */
  static void statusShown(Runnable onCleared) {
    STATUS.set(onCleared);
  }

  /** The status line is off screen (its writer cleared it). */
  static void statusGone() {
    STATUS.set(null);
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
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stdout.end();  // what a flush held back (it could have begun a secret, and did not) is written at exit
      stderr.end();
    }, "runbook4j-output"));
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
    if (STATUS.get() != null && !STATUS_WRITER.get()) {
      Runnable cleared = STATUS.getAndSet(null);
      if (cleared != null) {
        line.write(CLEAR_LINE.getBytes(StandardCharsets.UTF_8));
        cleared.run();
      }
    }
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
    // a line not ended yet is written, but not a tail that could begin a secret: a secret printed in
    // pieces, flushed between them, is masked whole when its last piece comes
    if (line.size() > 0 && line.size() < MAX_LINE) {
      String text = scrubber.scrub(line.toString(StandardCharsets.UTF_8));  // whole secrets masked first
      int keep = scrubber.heldBack(text);
      if (keep > 0) {
        line.reset();
        out.write(escaped(text.substring(0, text.length() - keep)).getBytes(StandardCharsets.UTF_8));
        line.write(text.substring(text.length() - keep).getBytes(StandardCharsets.UTF_8));
        out.flush();
        return;
      }
    }
    drain();
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    flush();
  }

  private synchronized void end() {
    try {
      drain();
      out.flush();
    } catch (IOException ignored) {
      // the stream is gone: nothing more can be printed
    }
  }

  private void drain() throws IOException {
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    out.write(escaped(scrubber.scrub(text)).getBytes(StandardCharsets.UTF_8));
  }

  /** The status line's own sequence: to the start of the line, and clear it. */
  static final String CLEAR_LINE = "\r\u001b[K";

  /** {@code text} with every control character but line breaks and tabs written as an escape. */
  static String escaped(String text) {
    StringBuilder b = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r' && text.startsWith(CLEAR_LINE, i)) {
        if (b != null) {
          b.append(CLEAR_LINE);
        }
        i += CLEAR_LINE.length() - 1;
        continue;
      }
      boolean control = (Character.isISOControl(c) && c != '\n' && c != '\t'
          && !(c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n'))
          || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069');
      if (control && b == null) {
        b = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (b != null) {
        if (control) {
          b.append(c < 0x100 ? String.format("\\x%02X", (int) c) : String.format("\\u%04X", (int) c));
        } else {
          b.append(c);
        }
      }
    }
    return b == null ? text : b.toString();
  }
}
