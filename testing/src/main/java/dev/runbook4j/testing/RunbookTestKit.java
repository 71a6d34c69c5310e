package dev.runbook4j.testing;

import dev.runbook4j.GateDecision;
import dev.runbook4j.Health;
import dev.runbook4j.JournalException;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunHandle;
import dev.runbook4j.RunOptions;
import dev.runbook4j.RunResult;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.Interceptor;
import dev.runbook4j.spi.Invocation;
import dev.runbook4j.spi.Journal;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apiguardian.api.API;

/**
 * Runs runbooks in a test: an engine on {@link VirtualTime} (hours of waits, bakes, backoff and
 * timeouts pass in milliseconds while the clock reads as if they had passed), an in-memory journal
 * (or the test's own), {@link Faults} injected by name, approvals given by named users, and crashes
 * of the engine with a restart on the same journal. Every run comes back as a {@link TestRun}: its
 * result, its journal and the calls the engine made into the runbook's code.
 *
 * <pre>{@code
 * try (RunbookTestKit kit = RunbookTestKit.create()) {
 *   kit.faults().failStep("shift-50").byTimeout();
 *   TestRun run = kit.run(canary, params);
 *   assertThat(run).rolledBack().compensated("shift-50", "shift-10", "publish").inOrder();
 * }
 * }</pre>
 *
 * <p>Runs get ids made from the kit's seed and a counter, so a test replays the same ids (and so the
 * same retry jitter) every time; the seed also drives {@link #random()} and the sampling of
 * {@link FailureExplorer}. It is printed with every failure; {@code -Drunbook4j.seed=N} or
 * {@link Builder#seed} replays it.
 *
 * <p>This class is threadsafe; its engine is built on first use and rebuilt after a crash.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class RunbookTestKit implements AutoCloseable {
  /** Who requests the kit's runs (a requester may not approve their own run). */
  public static final String REQUESTER = "requester";
  /** The user that rejects an approval gate named in {@link Faults#rejectGate}. */
  public static final String REJECTER = "test";

  private final VirtualTime time;
  private final Journal journal;
  private final Faults faults = new Faults();
  private final List<dev.runbook4j.spi.Notification> notifications = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final long seed;
  private final Random random;
  private final Consumer<RunbookEngine.Builder> engineConfig;
  private final ExecutorService workers;
  private final String requester;
  private final String runIdPrefix;
  private final AtomicInteger counter = new AtomicInteger();
  private final Map<String, List<Call>> calls = new ConcurrentHashMap<>();
  private final Map<String, Launch> launches = new ConcurrentHashMap<>();
  private final List<String> order = new CopyOnWriteArrayList<>();
  private final List<String> crashes = new CopyOnWriteArrayList<>();
  private Incarnation current;
  private volatile boolean closed;

  /** What a run was started with, to resume it after a crash. */
  private record Launch(Runbook<Object> runbook, Object params, PlanIndex index, Incarnation by) {}

  private RunbookTestKit(Builder b) {
    this.time = b.start == null ? VirtualTime.create() : VirtualTime.startingAt(b.start);
    this.journal = b.journal != null ? b.journal : new InMemoryJournal();
    this.seed = b.seed != null ? b.seed : defaultSeed();
    this.random = new Random(seed);
    this.engineConfig = b.engine;
    this.workers = b.workers;
    this.requester = b.requester;
    this.runIdPrefix = b.runIdPrefix != null ? b.runIdPrefix : "run-" + Long.toHexString(seed) + "-";
  }

  /** A kit with the defaults: virtual time from Monday 2026-01-05 09:00 UTC, an in-memory journal. */
  public static RunbookTestKit create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The seed of {@code -Drunbook4j.seed}, else 1. */
  static long defaultSeed() {
    String s = System.getProperty("runbook4j.seed");
    if (s == null || s.isBlank()) {
      return 1L;
    }
    try {
      return Long.decode(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-Drunbook4j.seed=" + s + " is not a number", e);
    }
  }

  // ---- what a test reaches

  /** The engine (built on first use; a new one after a crash or {@link #restart()}). */
  public synchronized RunbookEngine engine() {
    return incarnation().engine;
  }

  /** The virtual time the engine runs on. */
  public VirtualTime time() {
    return time;
  }

  /** The virtual instant now. */
  public Instant now() {
    return time.now();
  }

  /** Moves virtual time forward, firing what falls due on the way. */
  public RunbookTestKit advance(Duration d) {
    time.advance(d);
    return this;
  }

  /** The journal every engine of this kit writes to (it outlives crashes). */
  public Journal journal() {
    return journal;
  }

  /**
   * The messages the kit's runs sent (their hooks and {@code notify} steps) to channels the test gave
   * no notifier of its own: the kit records them, in the order they were sent, secrets masked.
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public List<dev.runbook4j.spi.Notification> notifications() {
    return List.copyOf(notifications);
  }

  /** The faults injected into every run of this kit; set them before {@link #run}. */
  public Faults faults() {
    return faults;
  }

  public long seed() {
    return seed;
  }

  /** Randomness from the kit's seed, for test data that should replay. */
  public Random random() {
    return random;
  }

  // ---- runs

  /**
   * Runs {@code runbook} until it ends, parks at an approval no fault decides, or the kit crashes
   * the engine; time jumps over every wait.
   *
   * @throws IllegalArgumentException when a fault names what the runbook does not have
   * @throws dev.runbook4j.RunbookDefinitionException when the parameters are invalid
   */
  public <P> TestRun run(Runbook<P> runbook, P params) {
    return await(start(runbook, params));
  }

  /** Starts {@code runbook} and returns at once; {@link #await} it, or drive {@link #time()} yourself. */
  @SuppressWarnings("unchecked")
  public synchronized <P> RunHandle start(Runbook<P> runbook, P params) {
    Objects.requireNonNull(runbook, "runbook");
    Plan plan = Plan.of(runbook, params);
    PlanIndex index = new PlanIndex(plan);
    faults.check(index);
    String runId = runIdPrefix + counter.incrementAndGet();
    Incarnation inc = incarnation();
    launches.put(runId, new Launch((Runbook<Object>) runbook, params, index, inc));
    order.add(runId);
    try {
      return inc.engine.start(runbook, params, options(runId));
    } catch (JournalException e) {
      if (inc.dead()) {
        return new CrashedHandle(runId);
      }
      throw e;
    }
  }

  private RunOptions options(String runId) {
    return RunOptions.defaults().withRunId(runId).withRequester(requester);
  }

  /** Waits for a started run (driving virtual time), deciding approvals as the faults say. */
  public TestRun await(RunHandle handle) {
    String runId = handle.runId();
    Launch launch = launches.get(runId);
    if (launch == null) {
      throw new IllegalArgumentException("Run " + runId + " was not started by this kit");
    }
    if (handle instanceof CrashedHandle) {
      return snapshot(runId, null);
    }
    Incarnation inc = launch.by;
    RunHandle h = handle;
    while (true) {
      RunResult r;
      try {
        r = h.await();
      } catch (JournalException e) {
        if (inc.dead()) {
          return snapshot(runId, null);
        }
        throw e;
      }
      if (inc.dead() && !r.state().isTerminal()) {
        return snapshot(runId, null);
      }
      boolean decided;
      try {
        decided = r.isParked() && decide(inc, runId);
      } catch (JournalException e) {
        if (inc.dead()) {
          return snapshot(runId, null);  // the decision's write crashed the engine
        }
        throw e;
      }
      if (!decided) {
        return snapshot(runId, r);
      }
      h = inc.engine.handle(runId);
    }
  }

  /** Applies the faults' approval decisions to the gates the run awaits; whether any was made. */
  private boolean decide(Incarnation inc, String runId) {
    boolean decided = false;
    for (String gate : inc.engine.status(runId).awaitingApproval()) {
      Faults.ApprovalDecision d = faults.approval(gate);
      if (faults.rejects(gate)) {
        inc.engine.reject(runId, gate, rejecter(runId, gate, d), "injected by the test: gate '" + gate
            + "' is rejected");
        decided = true;
      } else if (d != null && d.reason() == null) {
        List<String> already = new ArrayList<>();
        for (RunEvent e : journal.read(runId)) {
          if (e instanceof RunEvent.ApprovalGranted g && g.gateId().equals(gate)) {
            already.add(g.user());
          }
        }
        Launch launch = launches.get(runId);
        dev.runbook4j.ApprovalSpec spec = launch == null ? null : Approvals.spec(launch.runbook, gate);
        String choice = spec == null || spec.options().isEmpty() ? null
            : faults.choice(gate) != null ? faults.choice(gate) : spec.options().get(0);
        for (String user : d.users()) {
          if (!already.contains(user)) {
            inc.engine.approve(runId, gate, user, "", null, choice);
            decided = true;
          }
        }
      } else if (d != null) {
        inc.engine.reject(runId, gate, d.users().get(0), d.reason());
        decided = true;
      }
    }
    return decided;
  }

  /** Who rejects an approval gate for {@link Faults#rejectGate}: a user the gate accepts. */
  private String rejecter(String runId, String gate, Faults.ApprovalDecision decision) {
    if (decision != null) {
      return decision.users().get(0);
    }
    dev.runbook4j.ApprovalSpec spec = Approvals.spec(launches.get(runId).runbook, gate);
    if (spec != null && !spec.mayApprove(REJECTER)) {
      List<String> named = Approvals.named(spec, requester);
      if (!named.isEmpty()) {
        return named.get(0);
      }
    }
    return REJECTER;
  }

  /** Approves gate {@code gate} of {@code run} as {@code user} and goes on to the run's next stop. */
  public TestRun approve(TestRun run, String gate, String user) {
    engine().approve(run.runId(), gate, user);
    return await(engine().handle(run.runId()));
  }

  /** Rejects gate {@code gate} of {@code run} as {@code user} and goes on to the run's end. */
  public TestRun reject(TestRun run, String gate, String user, String reason) {
    engine().reject(run.runId(), gate, user, reason);
    return await(engine().handle(run.runId()));
  }

  /**
   * Goes on with {@code run}: after a crash (or {@link #restart()}), on a new engine resuming from
   * the journal (or starting the run again with its id if the crash came before it was recorded);
   * else it waits for the run on the engine that has it.
   */
  public TestRun resume(TestRun run) {
    Launch launch = launches.get(run.runId());
    if (launch == null) {
      throw new IllegalArgumentException("Run " + run.runId() + " was not started by this kit");
    }
    RunHandle h;
    synchronized (this) {
      Incarnation inc = incarnation();
      if (launch.by == inc) {
        h = inc.engine.handle(run.runId());
      } else {
        launches.put(run.runId(), new Launch(launch.runbook, launch.params, launch.index, inc));
        try {
          h = journal.read(run.runId()).isEmpty()
              ? inc.engine.start(launch.runbook, launch.params, options(run.runId()))
              : inc.engine.resume(run.runId(), launch.runbook, launch.params);
        } catch (JournalException e) {
          if (inc.dead()) {
            return snapshot(run.runId(), null);
          }
          throw e;
        }
      }
    }
    return await(h);
  }

  /**
   * Kills the engine as a crash would, without a fault: no more user code is called for its runs and
   * nothing more is written; the next use builds a new engine on the same journal.
   */
  public synchronized RunbookTestKit restart() {
    if (current != null) {
      current.kill("restarted by the test");
      current = null;
    }
    return this;
  }

  /** Every run this kit made, in start order, as they stand now. */
  public List<TestRun> runs() {
    List<TestRun> out = new ArrayList<>();
    for (String id : order) {
      out.add(snapshot(id, null));
    }
    return out;
  }

  /** The seed, the faults, and the journal of every run: what a failed test prints. */
  public String report() {
    StringBuilder sb = new StringBuilder();
    sb.append("Runbook4j test kit: seed ").append(seed).append(" (replay with -Drunbook4j.seed=").append(seed)
        .append("), virtual time now ").append(time.now()).append(", ").append(faults).append('\n');
    for (String c : crashes) {
      sb.append("engine killed: ").append(c).append('\n');
    }
    for (String id : order) {
      Launch l = launches.get(id);
      sb.append("Run ").append(id).append(" of '").append(l.runbook.name()).append("':\n")
          .append(JournalText.of(journal.read(id)));
    }
    return sb.toString();
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (current != null) {
      current.engine.close();
      current = null;
    }
  }

  // ---- incarnations of the engine

  private Incarnation incarnation() {
    if (closed) {
      throw new IllegalStateException("This test kit is closed");
    }
    if (current == null || current.dead()) {
      if (current != null) {
        current.engine.close();
      }
      current = new Incarnation();
    }
    return current;
  }

  private TestRun snapshot(String runId, RunResult result) {
    Launch l = launches.get(runId);
    String crash = null;
    if (result == null || !result.state().isTerminal()) {
      if (l.by.dead()) {
        crash = l.by.crash();
        result = null;
      } else if (result == null) {
        RunHandle h = l.by.engine.handle(runId);
        result = h.status().state().isTerminal() ? h.await() : null;
      }
    }
    List<Call> log = calls.getOrDefault(runId, List.of());
    List<Call> copy;
    synchronized (log) {
      copy = new ArrayList<>(log.size());
      for (Call c : log) {
        if (c != null) {
          copy.add(c);
        }
      }
    }
    return new TestRun(runId, l.runbook.name(), result, crash, journal.read(runId), copy, seed,
        journal.problem(runId).orElse(null));
  }

  /** One life of the engine: dies on a crash fault or {@link #restart()}, and then calls no user code. */
  private final class Incarnation implements Interceptor {
    final CrashingJournal journal;
    final RunbookEngine engine;
    private volatile String killed;

    Incarnation() {
      this.journal = new CrashingJournal(RunbookTestKit.this.journal, faults, crashes::add);
      RunbookEngine.Builder b = RunbookEngine.builder();
      b.defaultNotifier(notifications::add);  // every channel the runbook names, unless the test gives one
      if (engineConfig != null) {
        engineConfig.accept(b);
      }
      b.virtualTime(time).journal(journal).interceptor(this);
      if (workers != null) {
        b.workers(workers);
      }
      this.engine = b.build();
    }

    boolean dead() {
      return killed != null || journal.crash() != null;
    }

    String crash() {
      return journal.crash() != null ? journal.crash() : killed;
    }

    void kill(String why) {
      killed = why;
      crashes.add(why);
      journal.die(why);
      engine.close();
    }

    @Override
    public Object intercept(Invocation call) throws Exception {
      if (dead()) {
        throw new IllegalStateException("The engine is dead (" + crash() + "); it calls no more code");
      }
      List<Call> log = calls.computeIfAbsent(call.runId(), k -> Collections.synchronizedList(new ArrayList<>()));
      int slot;
      synchronized (log) {
        log.add(null);
        slot = log.size() - 1;
      }
      switch (call.kind()) {
        case ACTION, COMPENSATION -> {
          boolean undo = call.kind() == Invocation.Kind.COMPENSATION;
          Faults.StepFault f = faults.stepFault(call.nodeId(), undo);
          if (f != null && f.fire()) {
            String what = (undo ? "the compensation of step '" : "step '") + call.nodeId() + "' attempt "
                + call.attempt();
            if (f.afterCallSet()) {
              call.proceed();  // the effect lands; the response is lost
            }
            if (f.byTimeoutSet()) {
              record(log, slot, call, true, true, "injected by the test: " + what + " times out after its call");
              Launch l = launches.get(call.runId());
              PlanIndex.Entry e = l == null ? null : l.index.at(call.nodeId());
              if (e != null && e.hasTimeout()) {
                time.sleep(Duration.ofDays(3650));  // hangs until the step's own timeout interrupts it
              }
              throw new TimeoutException("injected by the test: " + what + " timed out");
            }
            Exception ex = f.exception(what);
            record(log, slot, call, f.afterCallSet(), true, "injected by the test: " + ex);
            throw ex;
          }
        }
        case GATE_CHECK -> {
          if (faults.rejects(call.nodeId())) {
            String why = "injected by the test: gate '" + call.nodeId() + "' rejects";
            record(log, slot, call, false, true, why);
            return GateDecision.reject(why);
          }
        }
        case WATCH_CHECK -> {
          Faults.WatchBreach b = faults.breach(call.nodeId(), call.during(), call.at(), startOf(call.runId()));
          if (b != null) {
            String why = "injected by the test: " + b;
            record(log, slot, call, false, true, why);
            return Health.breached(why);
          }
        }
        case WAIT_CONDITION -> {
          if (faults.holdsNever(call.nodeId())) {
            record(log, slot, call, false, true, "injected by the test: wait '" + call.nodeId() + "' never satisfied");
            return Boolean.FALSE;
          }
        }
        default -> {
          // reconcile: always the runbook's own
        }
      }
      try {
        Object out = call.proceed();
        boolean failed = out instanceof GateDecision d && d.verdict() == GateDecision.Verdict.REJECT
            || out instanceof Health h && !h.isHealthy();
        record(log, slot, call, true, failed, out instanceof GateDecision d ? d.reason()
            : out instanceof Health h && !h.isHealthy() ? h.reason() : "");
        return out;
      } catch (Exception | Error e) {
        record(log, slot, call, true, true, String.valueOf(e));
        throw e;
      }
    }

    private void record(List<Call> log, int slot, Invocation call, boolean called, boolean failed, String detail) {
      Call c = new Call(call.kind(), call.runId(), call.nodeId(), call.during(), call.attempt(), call.at(), called,
          failed, detail == null ? "" : detail);
      synchronized (log) {
        log.set(slot, c);
      }
    }
  }

  private Instant startOf(String runId) {
    List<RunEvent> events = journal.read(runId);
    return events.isEmpty() ? null : events.get(0).at();
  }

  /** The handle of a run whose start the crash prevented from being recorded. */
  private static final class CrashedHandle implements RunHandle {
    private final String runId;

    CrashedHandle(String runId) {
      this.runId = runId;
    }

    @Override
    public String runId() {
      return runId;
    }

    @Override
    public dev.runbook4j.RunStatus status() {
      throw new IllegalStateException("Run " + runId + " never started: the engine crashed first");
    }

    @Override
    public RunResult await() {
      throw new IllegalStateException("Run " + runId + " never started: the engine crashed first");
    }

    @Override
    public java.util.concurrent.CompletableFuture<RunResult> result() {
      return java.util.concurrent.CompletableFuture.failedFuture(
          new IllegalStateException("Run " + runId + " never started: the engine crashed first"));
    }
  }

  /** Builds a {@link RunbookTestKit}. */
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class Builder {
    private Instant start;
    private Journal journal;
    private Long seed;
    private Consumer<RunbookEngine.Builder> engine;
    private ExecutorService workers;
    private String requester = REQUESTER;
    private String runIdPrefix;

    private Builder() {}

    /** Where virtual time starts (default: Monday 2026-01-05 09:00 UTC). */
    public Builder startingAt(Instant start) {
      this.start = Objects.requireNonNull(start, "start");
      return this;
    }

    /** The journal (default: in memory); give a SQLite or PostgreSQL one to test on a real journal. */
    public Builder journal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /** The seed (default: {@code -Drunbook4j.seed}, else 1). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Settings for each engine the kit builds (parking, workers, a policy adapter, listeners); the
     * kit then sets the journal, the virtual time and its interceptor itself.
     */
    public Builder engine(Consumer<RunbookEngine.Builder> config) {
      this.engine = Objects.requireNonNull(config, "config");
      return this;
    }

    /** A worker pool the kit's engines share (the caller shuts it down). */
    public Builder workers(ExecutorService workers) {
      this.workers = Objects.requireNonNull(workers, "workers");
      return this;
    }

    /** Who requests the runs (default {@value RunbookTestKit#REQUESTER}). */
    public Builder requester(String requester) {
      this.requester = Objects.requireNonNull(requester, "requester");
      return this;
    }

    /** How run ids begin (default {@code run-<seed in hex>-}; a counter follows). */
    public Builder runIdPrefix(String prefix) {
      this.runIdPrefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    public RunbookTestKit build() {
      return new RunbookTestKit(this);
    }
  }
}
