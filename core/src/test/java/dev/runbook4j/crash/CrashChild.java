package dev.runbook4j.crash;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.spi.Journal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVM of the crash tests: runs (or resumes) a five-step runbook on a real journal and,
 * when told, stops dead at a journal boundary — before or after the k-th write — printing
 * {@code PAUSED k} and blocking until the parent kills it with SIGKILL.
 *
 * <p>Arguments: {@code run|resume JDBC_URL EFFECTS_FILE RUN_ID FAIL_FIFTH PAUSE_AT(0=never) before|after}.
 */
public final class CrashChild {
  private CrashChild() {}

  /** The runbook: five mutating steps, each logging its effect (with its key) to an external file. */
  public static Runbook<Void> runbook(Path effects, boolean failFifth) {
    Runbook.Builder<Void> b = Runbook.builder("crash-five");
    for (int i = 1; i <= 5; i++) {
      String name = "s" + i;
      boolean fails = failFifth && i == 5;
      b.step(name, s -> s.action(ctx -> {
        effect(effects, "do:" + name + " " + ctx.idempotencyKey());
        if (fails) {
          throw new IllegalStateException(name + " broke");
        }
        return name + "-out";
      }).compensate((ctx, out) -> effect(effects, "undo:" + name + " " + ctx.idempotencyKey())));
      if (i == 2) {
        b.sleep("pause", Duration.ofMillis(800));
      }
    }
    return b.build();
  }

  static void effect(Path file, String line) {
    try {
      Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND,
          StandardOpenOption.SYNC);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops dead before or after the k-th append. */
  static final class PausingJournal extends dev.runbook4j.spi.ForwardingJournal {
    private final int pauseAt;
    private final boolean before;
    private final AtomicInteger count = new AtomicInteger();

    PausingJournal(Journal inner, int pauseAt, boolean before) {
      super(inner);
      this.pauseAt = pauseAt;
      this.before = before;
    }

    @Override
    public void append(RunEvent event) {
      int n = count.incrementAndGet();
      if (n == pauseAt && before) {
        freeze(n);
      }
      delegate().append(event);
      if (n == pauseAt && !before) {
        freeze(n);
      }
    }

    static void freeze(int n) {
      System.out.println(n == 0 ? "WAITING" : "PAUSED " + n);
      System.out.flush();
      java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
      while (true) {
        try {
          never.await();  // the parent kills this process now, with SIGKILL
        } catch (InterruptedException e) {
          // keep blocking: only SIGKILL ends this
        }
      }
    }
  }

  /**
   * A runner of a shared journal: starts {@code count} runs (ids {@code PREFIX-i}) as runner
   * {@code child} with a one-second lease, prints {@code WAITING} once every run is in its pause,
   * and blocks until it is killed.
   */
  static void runner(String url, Path effects, String prefix, int count) {
    JdbcJournal journal = JdbcJournal.builder(url).runner("child").leaseTtl(Duration.ofSeconds(1)).build();
    RunbookEngine engine = RunbookEngine.builder().journal(journal).heartbeat(Duration.ofMillis(300)).build();
    java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(count);
    engine.onEvent(e -> {
      if (e instanceof RunEvent.WaitStarted) {
        waiting.countDown();
      }
    });
    Runbook<Void> runbook = runbook(effects, false);
    for (int i = 0; i < count; i++) {
      engine.start(runbook, null, RunOptions.defaults().withRunId(prefix + "-" + i));
    }
    try {
      waiting.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    PausingJournal.freeze(0);
  }

  public static void main(String[] args) {
    String mode = args[0];
    if (mode.equals("runner")) {
      runner(args[1], Path.of(args[2]), args[3], Integer.parseInt(args[5]));
      return;
    }
    Path effects = Path.of(args[2]);
    String runId = args[3];
    boolean failFifth = Boolean.parseBoolean(args[4]);
    int pauseAt = Integer.parseInt(args[5]);
    boolean before = args[6].equals("before");
    try (JdbcJournal journal = JdbcJournal.open(args[1]);
        RunbookEngine engine = RunbookEngine.builder().journal(new PausingJournal(journal, pauseAt, before)).build()) {
      Runbook<Void> runbook = runbook(effects, failFifth);
      RunResult r = mode.equals("run")
          ? engine.run(runbook, null, RunOptions.defaults().withRunId(runId))
          : engine.resume(runId, runbook).await();
      System.out.println("DONE " + r.state());
      System.out.flush();
    }
    System.exit(0);
  }
}
