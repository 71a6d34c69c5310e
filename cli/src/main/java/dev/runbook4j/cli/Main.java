package dev.runbook4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.runbook4j.ApprovalException;
import dev.runbook4j.Durations;
import dev.runbook4j.LockInfo;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunDrivenElsewhereException;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunPlace;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunStatus;
import dev.runbook4j.RunbookDefinitionException;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.RunbookException;
import dev.runbook4j.RunnerInfo;
import dev.runbook4j.UnknownRunException;
import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptException;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code runbook4j} command. */
@Command(name = "runbook4j", mixinStandardHelpOptions = true, version = "runbook4j 0.1.0-SNAPSHOT",
    description = "Runs runbook scripts (*.runbook.groovy) with a durable journal.",
    subcommands = {Main.Run.class, Main.PlanCommand.class, Main.Validate.class, Main.Resume.class, Main.Approve.class,
        Main.Reject.class, Main.Skip.class, Main.Cancel.class, Main.Status.class, Main.History.class, Main.Locks.class,
        Main.Unlock.class, TestCommand.class, VerifyCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:succeeded (or the command did what it was asked)",
        "1:invalid input: usage, a script that does not load, bad parameters, an unknown run or gate, a user "
            + "who may not approve",
        "2:the run rolled back",
        "3:the rollback failed (the run keeps its locks)",
        "4:parked: awaiting approval, or detached while waiting",
        "5:aborted",
        "6:test: a failure path of the script does not hold"})
public final class Main implements Callable<Integer> {
  static final int OK = 0;
  static final int INVALID = 1;
  static final int ROLLED_BACK = 2;
  static final int ROLLBACK_FAILED = 3;
  static final int PARKED = 4;
  static final int ABORTED = 5;
  static final int PATH_FAILS = 6;

  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  @Override
  public Integer call() {
    CommandLine.usage(this, System.out);
    return INVALID;
  }

  public static void main(String[] args) {
    ScrubbingStream.install();  // before anything prints: every line is scrubbed of the secrets the command learns
    System.exit(run(args));
  }

  static int run(String... args) {
    // compiled scripts are kept beside the journal: a later command on an unchanged script skips the compiler
    RunbookScripts.cacheIn(Path.of(".runbook4j", "cache"));
    CommandLine cl = new CommandLine(new Main());
    dev.runbook4j.Scrubber given = secretsIn(args);
    ScrubbingStream.mask(given);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      PrintWriter err = cmd.getErr();
      if (e instanceof ScriptException s) {
        s.scriptProblems().forEach(p -> err.println(given.scrub(String.valueOf(p))));
      } else if (e instanceof RunbookDefinitionException d) {
        err.println(given.scrub(d.getMessage()));
      } else if (e instanceof dev.runbook4j.UnknownRunException) {
        err.println("runbook4j: " + given.scrub(e.getMessage()) + " (runbook4j status lists the runs)");
      } else if (e instanceof RunbookException || e instanceof IllegalArgumentException
          || e instanceof IllegalStateException) {
        err.println("runbook4j: " + given.scrub(e.getMessage()));
      } else {
        err.println("runbook4j: " + given.scrub(String.valueOf(e)));
      }
      err.flush();
      return INVALID;
    });
    cl.setExitCodeExceptionMapper(e -> INVALID);
    return cl.execute(args);
  }

  /**
   * What the arguments hold that no error message may show: the password of a {@code --journal}
   * URL ({@code user:password@} or {@code password=}), as given and URL-decoded.
   */
  static dev.runbook4j.Scrubber secretsIn(String... args) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String url = a.startsWith("--journal=") ? a.substring("--journal=".length())
          : a.equals("--journal") && i + 1 < args.length ? args[i + 1] : null;
      if (url != null) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("//[^/@:]*:([^/@]+)@").matcher(url);
        if (m.find()) {
          values.add(m.group(1));
          values.add(java.net.URLDecoder.decode(m.group(1), StandardCharsets.UTF_8));
        }
        java.util.regex.Matcher q = java.util.regex.Pattern.compile("(?i)password=([^&;]+)").matcher(url);
        while (q.find()) {
          values.add(q.group(1));
        }
      }
    }
    String key = System.getenv("RUNBOOK4J_JOURNAL_KEY");
    if (key != null && !key.isEmpty()) {
      values.add(key);  // the journal's key, when given as text
    }
    return dev.runbook4j.Scrubber.ofValues(values);
  }

  static int exitCode(RunState state) {
    return switch (state) {
      case SUCCEEDED -> OK;
      case ROLLED_BACK -> ROLLED_BACK;
      case ROLLBACK_FAILED -> ROLLBACK_FAILED;
      case ABORTED -> ABORTED;
      default -> PARKED;
    };
  }

  /** How long {@code validate} and {@code plan} let a script take to load. */
  static class TimeLimit {
    @Option(names = "--time-limit", paramLabel = "DURATION", defaultValue = "30s",
        description = "How long a script may take to load, compiling included (default: ${DEFAULT-VALUE}).")
    String text;

    Duration get() {
      return Durations.parse(text);
    }
  }

  /** Options every command that opens the journal shares. */
  static class JournalOptions {
    @Option(names = "--journal", paramLabel = "JDBC_URL",
        description = "The journal (default: the SQLite file .runbook4j/journal.db under the current directory).")
    String journal;

    @Option(names = "--journal-key-file", paramLabel = "FILE", description = "The journal's key (default: the file"
        + " that RUNBOOK4J_JOURNAL_KEY_FILE names, or the text of RUNBOOK4J_JOURNAL_KEY): each event's hash is an"
        + " HMAC under it, so nobody without it can forge an event. A new journal is keyed when created with one.")
    Path keyFile;

    JdbcJournal open() {
      String url = journal;
      if (url == null) {
        Path file = Path.of(".runbook4j", "journal.db").toAbsolutePath();
        try {
          java.nio.file.Files.createDirectories(file.getParent());
        } catch (java.io.IOException e) {
          throw new IllegalStateException("the journal's folder " + file.getParent() + " cannot be created: " + e);
        }
        url = "jdbc:sqlite:" + file;
      }
      JdbcJournal.Builder b = JdbcJournal.builder(url);
      String envFile = System.getenv("RUNBOOK4J_JOURNAL_KEY_FILE");
      String envKey = System.getenv("RUNBOOK4J_JOURNAL_KEY");
      if (keyFile != null) {
        b.keyFile(keyFile);
      } else if (envFile != null && !envFile.isEmpty()) {
        b.keyFile(Path.of(envFile));
      } else if (envKey != null && !envKey.isEmpty()) {
        b.key(envKey.getBytes(StandardCharsets.UTF_8));
      }
      return b.build();
    }
  }

  static Map<String, String> params(List<String> pairs) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String p : pairs) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("-p takes name=value, was '" + p.replaceAll("=.*", "=...") + "'");
      }
      m.put(p.substring(0, eq), p.substring(eq + 1));
    }
    return m;
  }

  static String user(String as) {
    return as != null ? as : System.getProperty("user.name", "unknown");
  }

  // ------------------------------------------------------------------------------------ validate

  @Command(name = "validate", description = "Loads scripts and reports every problem as path:line:column: message.")
  static final class Validate implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Runbook scripts.")
    List<Path> files;

    @CommandLine.Mixin
    TimeLimit timeLimit = new TimeLimit();

    @Override
    public Integer call() {
      int code = OK;
      Duration limit = timeLimit.get();
      for (Path f : files) {
        try {
          ScriptRunbook s = RunbookScripts.load(f, limit);
          System.out.println(f + ": ok, runbook '" + s.runbook().name() + "', " + s.parameters().size()
              + (s.parameters().size() == 1 ? " parameter" : " parameters"));
        } catch (ScriptException e) {
          e.scriptProblems().forEach(System.err::println);
          code = INVALID;
        }
      }
      return code;
    }
  }

  // ------------------------------------------------------------------------------------ plan

  @Command(name = "plan", description = "Prints the plan of a script with its parameters, or the difference of two.")
  static final class PlanCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The runbook script.")
    Path file;

    @Option(names = "-p", paramLabel = "NAME=VALUE", description = "A parameter.")
    List<String> params = new ArrayList<>();

    @Option(names = "--format", defaultValue = "text", description = "text, json or mermaid (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--diff", paramLabel = "OTHER_FILE", description = "Prints how OTHER_FILE's plan differs; exit 0"
        + " when the plans are the same, 1 when they differ (as diff does).")
    Path diff;

    @CommandLine.Mixin
    TimeLimit timeLimit = new TimeLimit();

    @Override
    public Integer call() {
      Plan plan = plan(file);
      if (diff != null) {
        Plan other = plan(diff);
        List<String> a = plan.toText().lines().toList();
        List<String> b = other.toText().lines().toList();
        System.out.println("--- " + file + " (" + plan.hash().substring(0, 12) + ")");
        System.out.println("+++ " + diff + " (" + other.hash().substring(0, 12) + ")");
        for (String line : a) {
          if (!b.contains(line)) {
            System.out.println("- " + line);
          }
        }
        for (String line : b) {
          if (!a.contains(line)) {
            System.out.println("+ " + line);
          }
        }
        if (plan.hash().equals(other.hash())) {
          System.out.println("the plans are the same");
          return OK;
        }
        return INVALID;  // as diff(1) does: 1 when they differ
      }
      switch (format) {
        case "json" -> System.out.println(plan.toJson());
        case "mermaid" -> System.out.println(plan.toMermaid());
        case "text" -> System.out.print(plan.toText());
        default -> throw new IllegalArgumentException("--format must be text, json or mermaid, was '" + format + "'");
      }
      return OK;
    }

    private Plan plan(Path f) {
      ScriptRunbook s = RunbookScripts.load(f, timeLimit.get());
      return Plan.of(s.runbook(), s.params(params(params)));
    }
  }

  // ------------------------------------------------------------------------------------ run

  @Command(name = "run", description = "Runs a script; shows its progress; waits at approvals unless --detach.")
  static final class Run implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The runbook script.")
    Path file;

    @Option(names = "-p", paramLabel = "NAME=VALUE", description = "A parameter.")
    List<String> params = new ArrayList<>();

    @Option(names = "--run-id", paramLabel = "ID", description = "The run's id (starting it again returns the same run).")
    String runId;

    @Option(names = "--as", paramLabel = "USER", description = "Who requests the run (default: the OS user).")
    String as;

    @Option(names = "--detach", description = "Exit with 4 when the run parks (awaiting approval or waiting).")
    boolean detach;

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @CommandLine.Mixin
    SecretOptions secrets = new SecretOptions();

    @CommandLine.Mixin
    NotifyOptions notify = new NotifyOptions();

    @Override
    public Integer call() throws Exception {
      ScriptStore.Source source = ScriptStore.Source.read(file);
      ScriptRunbook s = source.load();
      var p = s.params(secrets.merged(params(params), s, List.of()));
      if (runId != null) {
        dev.runbook4j.RunOptions.checkRunId(runId);  // before anything is kept or journaled
      }
      ScriptStore.keep(source);  // before the run starts: a run's script is never lost
      ScrubbingStream.mask(dev.runbook4j.Scrubber.of(dev.runbook4j.Secret.findIn(p)));
      RunbookEngine.Builder eb = RunbookEngine.builder().heartbeat(Duration.ofMillis(500));
      notify.configure(eb, s.runbook().channels());
      try (JdbcJournal j = journal.open();
          RunbookEngine engine = eb.journal(j).build()) {
        Progress progress = new Progress(System.out);
        engine.onEvent(progress);
        RunOptions options = RunOptions.defaults().withRequester(user(as));
        if (runId != null) {
          options = options.withRunId(runId);
        }
        RunHandle h = engine.start(s.runbook(), p, options);
        RunPlace place = engine.where(h.runId());
        if (drivenElsewhere(place, j)) {
          System.out.println("run " + h.runId() + " is driven by " + place.runner().map(RunnerInfo::describe)
              .orElse("another runner") + "; following it (this process does not drive it)");
          return follow(engine, h, detach, progress, true);
        }
        ScriptStore.bind(h.runId(), source);
        return follow(engine, h, detach, progress, false);
      }
    }
  }

  /** Journals that {@code by} accepts the changed script for run {@code id}, and binds the run to it. */
  static void accept(RunbookEngine engine, String id, ScriptRunbook s, Object params, ScriptStore.Source changed,
      String by) throws IOException {
    @SuppressWarnings("unchecked")
    dev.runbook4j.Runbook<Object> rb = (dev.runbook4j.Runbook<Object>) (dev.runbook4j.Runbook<?>) s.runbook();
    String hash = engine.acceptPlan(id, rb, params, by);
    ScriptStore.bind(id, changed);
    System.out.println("run " + id + " goes on with the changed script " + ScriptStore.abbreviate(changed.hash())
        + " (plan " + hash.substring(0, 12) + "), accepted by " + by + "; approvals given before no longer count");
  }

  /** Where the run is, and the runner that drives it when it is not this process's (for status and locks). */
  static void putPlace(Map<String, Object> m, RunPlace place, JdbcJournal j) {
    m.put("place", place.place().name());
    m.put("driver", place.runner().filter(r -> !r.id().equals(j.runner())).map(RunnerInfo::describe).orElse(null));
  }

  /** Whether another live runner than this journal's holds the run. */
  static boolean drivenElsewhere(RunPlace place, JdbcJournal j) {
    return (place.place() == RunPlace.Place.DRIVEN_ELSEWHERE || place.place() == RunPlace.Place.PARKED)
        && place.runner().map(r -> !r.id().equals(j.runner())).orElse(false);
  }

  /**
   * Waits for the run to end, showing who must approve while it waits; 4 at once with
   * {@code --detach}. A run another process drives ({@code attached}) is followed in its journal:
   * its events are printed as they are journaled, and the exit code is its end's.
   */
  static int follow(RunbookEngine engine, RunHandle h, boolean detach, Progress progress, boolean attached)
      throws Exception {
    String shown = "";
    java.util.Set<String> waitedFor = new java.util.HashSet<>();
    boolean terminal = System.console() != null && !Boolean.getBoolean("runbook4j.plain");
    progress.terminal = terminal;
    long nextLine = 0;
    // an attached run's events are printed from its journal as they come (and all of them before it ends)
    Runnable printNew = attached ? new Runnable() {
      int printed = engine.history(h.runId()).size();

      @Override
      public void run() {
        List<RunEvent> events = engine.history(h.runId());
        for (; printed < events.size(); printed++) {
          progress.onEvent(events.get(printed));
        }
      }
    } : () -> { };
    while (true) {
      printNew.run();
      if (terminal && (System.nanoTime() >= nextLine || progress.cleared)) {
        progress.cleared = false;
        nextLine = System.nanoTime() + 1_000_000_000L;
        progress.status(StatusLine.render(h.runId(), engine.history(h.runId()), java.time.Instant.now(),
            StatusLine.width()));
      }
      try {
        RunResult r = h.result().get(200, TimeUnit.MILLISECONDS);
        printNew.run();
        if (progress.terminal) {
          System.out.print("\r\033[K");
        }
        System.out.println("run " + r.runId() + " ended " + r.state()
            + r.failure().map(f -> ": " + f.getMessage()).orElse(""));
        return exitCode(r.state());
      } catch (java.util.concurrent.TimeoutException notYet) {
        RunStatus st = engine.status(h.runId());
        if (st.state().isTerminal()) {
          printNew.run();
          System.out.println("run " + h.runId() + " ended " + st.state() + st.failure().map(f -> ": " + f).orElse(""));
          return exitCode(st.state());
        }
        if (attached && engine.where(h.runId()).place() == RunPlace.Place.ORPHANED) {
          RunStatus last = engine.status(h.runId());
          if (last.state().isTerminal()) {  // it ended, and its runner exited, between the two reads above
            printNew.run();
            System.out.println("run " + h.runId() + " ended " + last.state() + last.failure().map(f -> ": " + f)
                .orElse(""));
            return exitCode(last.state());
          }
          System.out.println("run " + h.runId() + " is no longer driven: its runner is gone; it goes on when"
              + " resumed: runbook4j resume " + h.runId());
          return INVALID;
        }
        for (String active : st.active()) {
          if (active.startsWith("lock:") && waitedFor.add(active)) {
            String key = active.substring("lock:".length());
            String holder = engine.locks().stream().filter(l -> l.key().equals(key)).findFirst()
                .flatMap(LockInfo::holder).orElse(null);
            System.out.println("waiting for lock '" + key + "'" + (holder == null ? "" : ", held by run " + holder)
                + " (runbook4j locks)");
          }
        }
        if (st.state() == RunState.AWAITING_APPROVAL && !st.awaitingApproval().isEmpty()) {
          String now = String.join(",", st.awaitingApproval());
          if (!now.equals(shown)) {
            shown = now;
            for (String gate : st.awaitingApproval()) {
              System.out.println("awaiting approval at gate '" + gate + "' (" + progress.approvers(gate)
                  + "); approve with: runbook4j approve " + h.runId() + " " + gate + " --as USER");
            }
          }
          if (detach) {
            return PARKED;
          }
        } else if (detach && (attached || engine.load().parked() > 0)) {
          System.out.println("run " + h.runId() + " is waiting; it goes on when resumed: runbook4j resume " + h.runId());
          return PARKED;
        }
      }
    }
  }

  static Duration roundedToSeconds(Duration d) {
    return d.compareTo(Duration.ofSeconds(1)) < 0 ? d : Duration.ofSeconds(Math.round(d.toMillis() / 1000.0));
  }

  /** Plain progress lines, one per event that matters; never a parameter value. */
  static final class Progress implements dev.runbook4j.RunListener {
    private final java.io.PrintStream out;
    private final Map<String, String> approvers = new java.util.concurrent.ConcurrentHashMap<>();
    /** On a terminal: the status line under the event lines, rewritten in place. */
    volatile boolean terminal;
    /** An event line cleared the status line: render it again at once. */
    volatile boolean cleared;
    private String status = "";

    synchronized void status(String line) {
      status = line;
      ScrubbingStream.STATUS_WRITER.set(true);
      try {
        out.print("\r\033[K" + line);
        out.flush();
      } finally {
        ScrubbingStream.STATUS_WRITER.set(false);
      }
      // from now on anything else written (a script's own print) first clears the line, and has it drawn again
      ScrubbingStream.statusShown(() -> cleared = true);
    }

    Progress(java.io.PrintStream out) {
      this.out = out;
    }

    String approvers(String gate) {
      return approvers.getOrDefault(gate, "see the plan");
    }

    @Override
    public void onEvent(RunEvent e) {
      String line = null;
      if (e instanceof RunEvent.RunStarted s) {
        line = "run " + s.runId() + " of '" + s.runbook() + "' started by " + s.requester() + " (plan "
            + s.planHash().substring(0, 12) + ")";
      } else if (e instanceof RunEvent.StepStarted s) {
        line = "step " + s.stepId() + (s.attempt() > 1 ? " attempt " + s.attempt() : "") + " ...";
      } else if (e instanceof RunEvent.StepSucceeded s) {
        line = "step " + s.stepId() + " done";
      } else if (e instanceof RunEvent.StepFailed s) {
        line = "step " + s.stepId() + " failed: " + s.error() + (s.willRetry() ? " (will retry)" : "");
      } else if (e instanceof RunEvent.WaitStarted w) {
        line = w.kind().name().toLowerCase(java.util.Locale.ROOT) + " " + w.waitId() + ": "
            + Durations.format(roundedToSeconds(Duration.between(w.at(), w.deadline()))) + " (until " + w.deadline() + ")";
      } else if (e instanceof RunEvent.WaitFinished w) {
        line = "wait " + w.waitId() + " over";
      } else if (e instanceof RunEvent.GatePassed g) {
        line = "gate " + g.gateId() + " passed";
      } else if (e instanceof RunEvent.GateRejected g) {
        line = "gate " + g.gateId() + " rejected: " + g.reason();
      } else if (e instanceof RunEvent.ApprovalRequested a) {
        approvers.put(a.gateId(), a.approvers());
      } else if (e instanceof RunEvent.ApprovalGranted a) {
        line = "gate " + a.gateId() + " approved by " + a.user();
      } else if (e instanceof RunEvent.RollbackStarted r) {
        line = "rolling back: " + r.cause();
      } else if (e instanceof RunEvent.CompensationSucceeded c) {
        line = "undid " + c.stepId();
      } else if (e instanceof RunEvent.CompensationFailed c) {
        line = "undo of " + c.stepId() + " failed: " + c.error();
      } else if (e instanceof RunEvent.WatchBreached w) {
        line = "watch " + w.watchId() + " breached: " + w.reason();
      } else if (e instanceof RunEvent.WaitSkipped w) {
        line = "wait " + w.waitId() + " skipped by " + w.by() + (w.reason().isEmpty() ? "" : ": " + w.reason());
      } else if (e instanceof RunEvent.NodeSkipped n) {
        line = "skipped " + n.nodeId() + ": " + n.reason();
      } else if (e instanceof RunEvent.BranchChosen b) {
        line = b.option() == null ? b.chooseId() + ": no option held" : b.chooseId() + " → " + b.option()
            + " (" + b.reason() + ")";
      } else if (e instanceof RunEvent.SucceededEarly s) {
        line = "ending early at " + s.nodeId() + ": " + s.reason();
      } else if (e instanceof RunEvent.RollbackStopped s) {
        line = "the rollback stops at " + s.stepId() + "; not attempted: " + s.notAttempted();
      } else if (e instanceof RunEvent.NotificationFailed n) {
        line = "the " + n.event() + " message to " + n.channel() + " did not get through: " + n.error();
      }
      if (line != null) {
        print(line);
      }
    }

    @Override
    public void onStoragePaused(dev.runbook4j.RunListener.StoragePause p) {
      long ms = Math.max(0, Duration.between(java.time.Instant.now(), p.nextTry()).toMillis());
      Duration in = Duration.ofSeconds((ms + 999) / 1000);  // "in 1s", not "in 999ms"
      print(p.tries() == 1
          ? "run " + p.runId() + " is paused: the journal cannot record its next event (" + p.problem()
              + "); nothing more runs until it can; trying again in " + Durations.format(in)
          : "run " + p.runId() + " is still paused: " + p.problem() + "; trying again in " + Durations.format(in));
    }

    @Override
    public void onStorageRecovered(String runId) {
      print("run " + runId + " goes on: the journal records events again");
    }

    /**
     * An event line, above the status line: the status line is cleared and not shown again until it
     * is rendered anew (within a second), since the event may have made it stale.
     */
    private synchronized void print(String line) {
      ScrubbingStream.STATUS_WRITER.set(true);
      try {
        if (terminal) {
          ScrubbingStream.statusGone();
          out.print("\r\033[K");
          status = "";
          cleared = true;
        }
        out.println(line);
        out.flush();
      } finally {
        ScrubbingStream.STATUS_WRITER.set(false);
      }
    }
  }

  // ------------------------------------------------------------------------------------ resume

  @Command(name = "resume", description = "Resumes a run (after a crash or --detach), or every unfinished run.")
  static final class Resume implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_ID", arity = "0..1", description = "The run.")
    String runId;

    @Option(names = "--all", description = "Every unfinished run started from this directory.")
    boolean all;

    @Option(names = "--detach", description = "Exit with 4 when the run parks.")
    boolean detach;

    @Option(names = "-p", paramLabel = "NAME=VALUE",
        description = "A parameter given again: secrets are never journaled, so a resumed run needs them.")
    List<String> params = new ArrayList<>();

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @CommandLine.Mixin
    SecretOptions secrets = new SecretOptions();

    @CommandLine.Mixin
    NotifyOptions notify = new NotifyOptions();

    @Option(names = "--accept-changed-script", description = "Go on with the script as it is now although it changed"
        + " since the run started (journaled; approvals given before no longer count).")
    boolean acceptChanged;

    @Option(names = "--as", paramLabel = "USER", description = "Who accepts a changed script (default: the OS user).")
    String as;

    @Override
    public Integer call() throws Exception {
      if ((runId == null) == !all) {
        throw new IllegalArgumentException("give a RUN_ID or --all");
      }
      try (JdbcJournal j = journal.open()) {
        List<String> ids = all ? unfinished(j) : List.of(runId);
        int worst = OK;
        for (String id : ids) {
          try {  // one run's damage stays with it: with --all, the others are resumed
            ScriptStore.Source changed = acceptChanged ? ScriptStore.changed(id) : null;
            ScriptRunbook s = changed != null ? changed.load() : ScriptStore.load(id);
            RunbookEngine.Builder eb = RunbookEngine.builder().journal(j).heartbeat(Duration.ofMillis(500));
            notify.configure(eb, s.runbook().channels());
            try (RunbookEngine engine = eb.build()) {
              Progress progress = new Progress(System.out);
              engine.onEvent(progress);
              RunHandle h;
              dev.runbook4j.dsl.ScriptParams p;
              try {
                p = given(j, id, s);
              } catch (IllegalArgumentException e) {
                if (!all) {
                  throw e;
                }
                System.err.println("runbook4j: " + e.getMessage());
                worst = Math.max(worst, 1);
                continue;
              }
              if (changed != null) {
                accept(engine, id, s, p, changed, user(as));
              }
              try {
                h = engine.resume(id, s.runbook(), p);
              } catch (RunDrivenElsewhereException e) {
                if (!all) {
                  throw e;
                }
                System.out.println("run " + id + " is driven by " + e.driver().describe() + "; not resumed here");
                continue;
              }
              int code = follow(engine, h, detach, progress, false);
              worst = Math.max(worst, code);
            }
          } catch (RuntimeException e) {
            if (!all) {
              throw e;
            }
            System.err.println("runbook4j: run " + id + " not resumed: " + e.getMessage());
            worst = Math.max(worst, INVALID);
          }
        }
        return worst;
      }
    }

    /**
     * The journal's parameters with those given again on top. A secret is never journaled: one the
     * run was given must be given again, or nothing is resumed (an error naming it).
     */
    private dev.runbook4j.dsl.ScriptParams given(JdbcJournal j, String id, ScriptRunbook s) throws IOException {
      Map<String, String> merged = new LinkedHashMap<>();
      List<String> needed = new ArrayList<>();
      RunEvent first = j.read(id).get(0);
      if (first instanceof RunEvent.RunStarted rs) {
        Map<?, ?> json = JSON.readValue(rs.params(), Map.class);
        json.forEach((k, v) -> {
          String key = String.valueOf(k);
          if (key.startsWith("~") || v == null) {
            return;
          }
          var spec = s.parameters().get(key);
          if (spec != null && spec.kind() == dev.runbook4j.dsl.ParameterSpec.Kind.SECRET) {
            needed.add(key);  // journaled masked: its value must come again
          } else {
            merged.put(key, String.valueOf(v));
          }
        });
      }
      merged.putAll(params(params));
      Map<String, String> all = secrets.merged(merged, s, needed);
      List<String> missing = needed.stream().filter(n -> !all.containsKey(n)).toList();
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException("run " + id + " needs " + (missing.size() == 1 ? "its secret '"
            + missing.get(0) + "'" : "its secrets '" + String.join("', '", missing) + "'") + " given again (-p NAME=..., "
            + "--secret-env NAME=VARIABLE or --secret-file NAME=PATH): secrets are never journaled; nothing was resumed");
      }
      dev.runbook4j.dsl.ScriptParams p = s.params(all);
      ScrubbingStream.mask(dev.runbook4j.Scrubber.of(dev.runbook4j.Secret.findIn(p)));
      return p;
    }

    private static List<String> unfinished(JdbcJournal j) {
      List<String> ids = new ArrayList<>();
      // the head rows say which runs have not ended: a finished run's events are not read
      for (String id : j.unfinishedRunIds()) {
        if (ScriptStore.knows(id)) {
          ids.add(id);  // a damaged one too: resuming it reports it, and goes on with the others
        }
      }
      for (String id : j.runIdsWithoutHead()) {
        if (ScriptStore.knows(id)) {
          ids.add(id);  // damaged: resuming it reports it, and goes on with the others
        }
      }
      return ids;
    }
  }

  // ------------------------------------------------------------------------------------ decisions

  abstract static class Decision implements Callable<Integer> {
    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @CommandLine.Mixin
    NotifyOptions notify = new NotifyOptions();

    /** Whether the script may have changed since the run started (approve and reject say so with an option). */
    boolean acceptChanged() {
      return false;
    }

    /** Who takes the decision. */
    String by() {
      return user(null);
    }

    RunStatus decide(String runId, java.util.function.BiFunction<RunbookEngine, String, RunStatus> call)
        throws IOException {
      // a gate's decision is taken for the exact script the run started with; a cancel never waits for one
      ScriptStore.Source changed = acceptChanged() ? ScriptStore.changed(runId) : null;
      ScriptRunbook s = changed != null ? changed.load()
          : this instanceof Cancel ? ScriptStore.loadAsStarted(runId) : ScriptStore.load(runId);
      RunbookEngine.Builder eb = RunbookEngine.builder().runbooks(s.runbook()).takeOverOrphans(false);
      notify.configure(eb, s.runbook().channels());
      try (JdbcJournal j = journal.open(); RunbookEngine engine = eb.journal(j).build()) {
        if (changed != null) {
          accept(engine, runId, s, null, changed, by());
        }
        RunStatus st = call.apply(engine, runId);
        RunPlace place = engine.where(runId);
        goesOn = place.place() == RunPlace.Place.ORPHANED ? "nobody drives the run now: it goes on when resumed:"
            + " runbook4j resume " + runId
            : "its runner (" + place.runner().map(RunnerInfo::describe).orElse("another process") + ") goes on within a"
                + " second";
        return st;
      }
    }

    /** After {@link #decide}: who takes the run on from the decision. */
    String goesOn = "";
  }

  /** A decision on one gate of a run. */
  abstract static class GateDecisionCommand extends Decision {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Parameters(index = "1", paramLabel = "GATE")
    String gate;

    @Option(names = "--as", paramLabel = "USER", description = "Who decides (default: the OS user).")
    String as;

    @Option(names = "--accept-changed-script", description = "Decide for the script as it is now although it changed"
        + " since the run started (journaled; approvals given before no longer count).")
    boolean acceptChangedScript;

    @Override
    boolean acceptChanged() {
      return acceptChangedScript;
    }

    @Override
    String by() {
      return user(as);
    }
  }

  @Command(name = "approve", description = "Approves a gate of a run waiting for approval.")
  static final class Approve extends GateDecisionCommand {
    @Option(names = "--comment", paramLabel = "TEXT")
    String comment;

    @Option(names = "--choice", paramLabel = "OPTION", description = "For a gate that asks its approver to choose"
        + " (its options are in the plan): the option chosen; the gate's output.")
    String choice;

    @Override
    public Integer call() throws IOException {
      RunStatus st = decide(runId, (e, id) -> e.approve(id, gate, user(as), comment, null, choice));
      System.out.println("approved gate '" + gate + "' of run " + runId + " as " + user(as)
          + (choice == null ? "" : ", choosing '" + choice + "'")
          + (st.awaitingApproval().contains(gate) ? "; more approvals are needed" : "; the gate passed: " + goesOn));
      return OK;
    }
  }

  @Command(name = "skip", description = "Ends a wait of a run before its time (a wait that names who may skip it).")
  static final class Skip extends GateDecisionCommand {
    @Option(names = "--reason", paramLabel = "TEXT")
    String reason;

    @Override
    public Integer call() throws IOException {
      decide(runId, (e, id) -> e.skipWait(id, gate, user(as), reason));
      System.out.println("skipped wait '" + gate + "' of run " + runId + " as " + user(as) + ": " + goesOn);
      return OK;
    }
  }

  @Command(name = "reject", description = "Rejects a gate of a run waiting for approval (the run rolls back).")
  static final class Reject extends GateDecisionCommand {
    @Option(names = "--reason", paramLabel = "TEXT")
    String reason;

    @Override
    public Integer call() throws IOException {
      decide(runId, (e, id) -> e.reject(id, gate, user(as), reason));
      System.out.println("rejected gate '" + gate + "' of run " + runId + " as " + user(as) + "; the run rolls back: "
          + goesOn);
      return OK;
    }
  }

  @Command(name = "cancel", description = "Cancels a run: it rolls back.")
  static final class Cancel extends Decision {
    @Parameters(index = "0", paramLabel = "RUN_ID")
    String runId;

    @Option(names = "--as", paramLabel = "USER", description = "Who cancels (default: the OS user).")
    String as;

    @Option(names = "--reason", paramLabel = "TEXT")
    String reason;

    @Override
    public Integer call() throws IOException {
      String[] said = new String[1];
      int[] code = {OK};
      decide(runId, (e, id) -> {
        RunStatus before = e.status(id);
        if (before.state().isTerminal()) {
          said[0] = "run " + id + " has ended " + before.state() + "; there is nothing to cancel";
          code[0] = INVALID;
          return before;
        }
        RunStatus st = e.cancel(id, user(as), reason);
        if (before.state() == RunState.ROLLING_BACK) {
          said[0] = "run " + id + " is already rolling back; the cancel is recorded and changes nothing";
          return st;
        }
        if (st.state().isTerminal()) {
          said[0] = "run " + id + " has ended " + st.state() + "; there is nothing to cancel";
          code[0] = INVALID;
          return st;
        }
        RunPlace place = e.where(id);
        said[0] = "cancel of run " + id + " recorded; " + switch (place.place()) {
          case DRIVEN_HERE, DRIVEN_ELSEWHERE -> "the run is rolling back ("
              + place.runner().map(RunnerInfo::describe).orElse("its runner") + " sees it within a second)";
          case PARKED -> place.runner().isPresent() ? "the run rolls back when " + place.runner().get().describe()
              + " wakes it (within a second)" : "nobody drives the run now: it rolls back when resumed (runbook4j"
              + " resume " + id + ")";
          default -> "nobody drives the run now: it rolls back when resumed (runbook4j resume " + id + ")";
        };
        return st;
      });
      (code[0] == OK ? System.out : System.err).println((code[0] == OK ? "" : "runbook4j: ") + said[0]);
      return code[0];
    }
  }

  // ------------------------------------------------------------------------------------ status, history

  @Command(name = "status", description = "The state of one run, or of the latest runs (20 unless --all or --limit).")
  static final class Status implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_ID", arity = "0..1")
    String runId;

    @Option(names = "--all", description = "Every run, not only the latest.")
    boolean all;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many of the latest runs"
        + " (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--state", paramLabel = "STATE", split = ",", description = "Only runs in these states"
        + " (RUNNING, WAITING, AWAITING_APPROVAL, ROLLING_BACK, SUCCEEDED, ROLLED_BACK, ROLLBACK_FAILED, ABORTED).")
    List<RunState> states = new ArrayList<>();

    @Option(names = "--runbook", paramLabel = "NAME", description = "Only runs of this runbook.")
    String runbook;

    @Option(names = "--since", paramLabel = "DURATION|INSTANT", description = "Only runs started since then: 2h,"
        + " 7d, or 2026-12-01T09:00:00Z.")
    String since;

    @Option(names = "--json", description = "Machine-readable: {\"runId\", \"runbook\", \"state\", ...}.")
    boolean json;

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @Override
    public Integer call() throws Exception {
      if (limit < 1) {
        throw new IllegalArgumentException("--limit must be at least 1, was " + limit);
      }
      try (JdbcJournal j = journal.open(); RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
        java.time.Instant from = since == null ? null : sinceOf(since);
        int most = all ? Integer.MAX_VALUE : limit;
        List<String> ids;
        long total = 0;
        if (runId != null) {
          ids = List.of(runId);
        } else if (states.isEmpty()) {
          ids = new ArrayList<>(j.latestRunIds(most, runbook, from));
          total = j.runCount(runbook, from);
          java.util.Collections.reverse(ids);  // oldest of them first: the latest run is the last line
        } else {
          ids = new ArrayList<>();  // newest first until enough are in the states asked for
          for (String id : j.latestRunIds(Integer.MAX_VALUE, runbook, from)) {
            if (ids.size() >= most) {
              total = -1;
              break;
            }
            try {
              if (states.contains(engine.status(id).state())) {
                ids.add(id);
              }
            } catch (dev.runbook4j.JournalException e) {
              ids.add(id);  // damaged: listed below as such, whatever was asked
            }
          }
          java.util.Collections.reverse(ids);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        int code = OK;
        java.util.Set<String> headless = new java.util.LinkedHashSet<>(j.runIdsWithoutHead());
        if (runId == null) {
          ids = new ArrayList<>(ids);
          ids.addAll(headless);
        }
        for (String id : ids) {
          if (headless.contains(id)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("runId", id);
            m.put("state", "DAMAGED");
            m.put("damaged", "run " + id + " has events but no head row in the journal, so it does not verify: the"
                + " journal was edited or damaged; it is left as it is");
            out.add(m);
            code = INVALID;
            continue;
          }
          Map<String, Object> m = new LinkedHashMap<>();
          RunStatus s;
          try {
            s = engine.status(id);
            putPlace(m, engine.where(id), j);
          } catch (dev.runbook4j.JournalException e) {
            // one run's damage stays with it: it is named, and every other run is served
            m.clear();
            m.put("runId", id);
            m.put("state", "DAMAGED");
            m.put("damaged", e.getMessage());
            out.add(m);
            code = INVALID;
            continue;
          }
          Map<String, Object> place = new LinkedHashMap<>(m);
          m.clear();
          m.put("runId", s.runId());
          m.put("runbook", s.runbook());
          m.put("state", s.state().name());
          m.put("requester", s.requester());
          m.put("planHash", s.planHash());
          m.put("active", s.active());
          m.put("awaitingApproval", s.awaitingApproval());
          m.put("started", s.started());
          m.put("compensated", s.compensated());
          m.put("failure", s.failure().orElse(null));
          m.put("updatedAt", s.updatedAt() == null ? null : s.updatedAt().toString());
          m.putAll(place);
          dev.runbook4j.journal.jdbc.JournalVerification v = j.verify(id);
          if (v.check() != dev.runbook4j.journal.jdbc.JournalVerification.Check.NOT_CHECKED) {
            m.put("verifies", v.ok());
            m.put("integrity", v.problem().orElse(null));
            if (!v.ok()) {
              code = INVALID;
            }
          }
          out.add(m);
        }
        if (json) {
          System.out.println(JSON.writeValueAsString(runId != null ? out.get(0) : out));
        } else {
          for (Map<String, Object> m : out) {
            if (m.containsKey("damaged")) {
              System.out.println(m.get("runId") + "  DAMAGED  " + m.get("damaged"));
              continue;
            }
            System.out.println(m.get("runId") + "  " + m.get("runbook") + "  " + m.get("state")
                + (((List<?>) m.get("awaitingApproval")).isEmpty() ? "" : "  awaiting " + m.get("awaitingApproval"))
                + (m.get("driver") == null ? "" : "  driven by " + m.get("driver"))
                + ("ORPHANED".equals(m.get("place")) ? "  orphaned (its runner is gone): runbook4j resume "
                    + m.get("runId") : "")
                + (m.get("failure") == null ? "" : "  " + m.get("failure"))
                + (m.get("integrity") == null ? "" : "  DOES NOT VERIFY: " + m.get("integrity")));
          }
        }
        int shown = ids.size() - (runId == null ? headless.size() : 0);
        if (!json && runId == null && total < 0) {
          System.out.println("(the latest " + shown + " runs in " + states + "; --all shows every one)");
        } else if (!json && runId == null && total > shown) {
          System.out.println("(the latest " + shown + " of " + total + " runs; --all shows every one, --limit N more)");
        }
        if (j.check() == dev.runbook4j.journal.jdbc.JournalVerification.Check.NOT_CHECKED) {
          System.err.println("runbook4j: the journal is keyed (key " + j.keyId().orElseThrow() + ") and no key was"
              + " given: no run was verified");
        }
        return code;
      }
    }
  }

  /** {@code --since}: a duration back from now (2h, 7d), or an instant. */
  static java.time.Instant sinceOf(String text) {
    try {
      return java.time.Instant.parse(text);
    } catch (java.time.format.DateTimeParseException notAnInstant) {
      try {
        return java.time.Instant.now().minus(Durations.parse(text));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--since takes a duration (2h, 7d) or an instant (2026-12-01T09:00:00Z),"
            + " was '" + text + "'");
      }
    }
  }

  @Command(name = "locks", description = "The locks held or waited for: holder (its state, and who drives it), since"
      + " when, and the runs waiting, first in line first.")
  static final class Locks implements Callable<Integer> {
    @Option(names = "--json", description = "Machine-readable: [{\"key\", \"holder\", \"state\", ...}].")
    boolean json;

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @Override
    public Integer call() throws Exception {
      try (JdbcJournal j = journal.open(); RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (LockInfo lock : engine.locks()) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("key", lock.key());
          m.put("holder", lock.holder().orElse(null));
          if (lock.holder().isPresent()) {
            String holder = lock.holder().get();
            m.put("state", engine.status(holder).state().name());
            putPlace(m, engine.where(holder), j);
          }
          m.put("token", lock.token());
          m.put("since", lock.since().map(Object::toString).orElse(null));
          m.put("waiting", lock.waiting());
          out.add(m);
        }
        if (json) {
          System.out.println(JSON.writeValueAsString(out));
          return OK;
        }
        if (out.isEmpty()) {
          System.out.println("no lock is held or waited for");
        }
        for (Map<String, Object> m : out) {
          String holder = m.get("holder") == null ? "free" : "held by run " + m.get("holder") + " (" + m.get("state")
              + (m.get("driver") != null ? ", driven by " + m.get("driver") : "ENDED".equals(m.get("place"))
                  ? "; release it with: runbook4j unlock " + m.get("key") + " --as USER --reason TEXT"
                  : "ORPHANED".equals(m.get("place")) ? ", orphaned: runbook4j resume " + m.get("holder") : "")
              + ")" + (m.get("since") == null ? "" : " since " + m.get("since"));
          List<?> waiting = (List<?>) m.get("waiting");
          System.out.println(m.get("key") + "  " + holder + (waiting.isEmpty() ? "" : "; waiting: "
              + String.join(", ", waiting.stream().map(String::valueOf).toList())));
        }
        return OK;
      }
    }
  }

  @Command(name = "unlock", description = "Releases a lock kept by a run that has ended (rolled back only in part,"
      + " or aborted), once the target is put right; journaled in that run's history.")
  static final class Unlock implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "LOCK")
    String key;

    @Option(names = "--as", paramLabel = "USER", description = "Who releases it (default: the OS user).")
    String as;

    @Option(names = "--reason", paramLabel = "TEXT", required = true, description = "Why (journaled).")
    String reason;

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @Override
    public Integer call() {
      try (JdbcJournal j = journal.open(); RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
        String holder = engine.releaseLock(key, user(as), reason);
        System.out.println("released lock '" + key + "' kept by run " + holder + " (" + engine.status(holder).state()
            + "); the next waiting run gets it");
        return OK;
      }
    }
  }

  @Command(name = "history", description = "The journaled events of a run (default: the latest run).")
  static final class History implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_ID", arity = "0..1")
    String runId;

    @Option(names = "--json", description = "One JSON array of the events.")
    boolean json;

    @CommandLine.Mixin
    JournalOptions journal = new JournalOptions();

    @Override
    public Integer call() throws Exception {
      try (JdbcJournal j = journal.open(); RunbookEngine engine = RunbookEngine.builder().journal(j).build()) {
        List<String> all = runId != null ? List.of(runId) : j.latestRunIds(1, null, null);  // not every run id
        if (all.isEmpty()) {
          throw new IllegalArgumentException("the journal has no runs");
        }
        List<RunEvent> events = engine.history(runId != null ? runId : all.get(all.size() - 1));
        if (json) {
          List<Map<String, Object>> out = new ArrayList<>();
          for (RunEvent e : events) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", e.getClass().getSimpleName());
            m.putAll(JSON.convertValue(e, Map.class));
            out.add(m);
          }
          System.out.println(JSON.writeValueAsString(out));
        } else {
          String id = runId != null ? runId : all.get(all.size() - 1);
          System.out.println("Run " + id + (events.isEmpty() ? "" : ", started " + events.get(0).at()
              + " (times below from there)") + ":");
          System.out.print(dev.runbook4j.testing.JournalText.of(events));
        }
        dev.runbook4j.journal.jdbc.JournalVerification v = j.verify(runId != null ? runId : all.get(all.size() - 1));
        if (!v.ok() && v.check() != dev.runbook4j.journal.jdbc.JournalVerification.Check.NOT_CHECKED) {
          System.err.println("runbook4j: run " + v.runId() + " DOES NOT VERIFY: " + v.problem().orElseThrow()
              + " (runbook4j verify " + v.runId() + ")");
          return INVALID;
        }
        return OK;
      }
    }
  }
}
