package dev.runbook4j.testing;

import dev.runbook4j.ApprovalSpec;
import dev.runbook4j.Plan;
import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.Runbook;
import dev.runbook4j.Wait;
import dev.runbook4j.spi.Invocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * Finds every way a runbook can fail and runs each one on virtual time, checking that the rollback
 * is right: this is how a team proves its rollbacks before anything touches production.
 *
 * <p>It first runs the runbook without fault, then derives the failure points from what that run
 * did: each step failing (with an error, and by timing out), each gate rejecting, each watch
 * breaching during each bake or waitUntil, each waitUntil timing out, each compensation failing
 * in the longest rollback and in the rollback it heads (in every distinct rollback when
 * {@link #exhaustive exhaustive}), and the engine crashing before and after each journal write of
 * the path without fault and of the longest rollback (a new engine then resumes the run on the same
 * journal), but between repetitions of a re-check with the same outcome. The report says what it
 * pruned. Each path runs on a fresh {@link RunbookTestKit} with a fresh {@link Subject} (so a
 * fresh fake of the system), and holds when:
 * <ul>
 *   <li>the run ends as the failure point says (rolled back; rollback failed when a compensation was
 *       made to fail; succeeded or aborted when the step says {@code onFailure} continue or abort);
 *   <li>when it rolls back, the compensations the engine called are exactly those of the started
 *       steps that have one, in reverse start order, and each succeeded but the one made to fail;
 *   <li>no effect happened twice and every call was journaled first
 *       ({@link RunAssert.JournalAssert#hasNoDuplicateEffects()}), and the journal verifies;
 *   <li>the subject's invariants hold.
 * </ul>
 *
 * <pre>{@code
 * ExplorationReport report = FailureExplorer.of(() -> {
 *       FakeAlias alias = new FakeAlias("v1");
 *       return Subject.of(Release.runbook(alias), params)
 *           .whenRolledBack("the alias points at v1 again", () -> alias.target().equals("v1"));
 *     })
 *     .explore();
 * report.assertAllHold();
 * }</pre>
 *
 * <p>Paths run in parallel ({@link #parallelism}), each on its own engine and virtual time. A seed
 * drives the run ids and {@link #sample} and is printed in every report.
 *
 * <p>This class is threadsafe once configured.
 *
 * @param <P> the runbook's parameter type
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class FailureExplorer<P> {
  /**
   * Worker threads shared by the engines of every path (the engines do not own them). Several, not
   * one: a step's timeout is handled on a worker while the attempt still blocks another. So parallel
   * branches start in whichever order the threads take them, and the order of their steps in a path's
   * name may differ from one exploration to the next; the checks compare each run with itself.
   */
  private static final ExecutorService WORKERS = workers();

  private final Supplier<Subject<P>> subjects;
  private long seed = RunbookTestKit.defaultSeed();
  private boolean timeouts = true;
  private boolean compensations = true;
  private boolean crashes = true;
  private boolean exhaustive;
  private boolean keepRuns;
  private int sample;
  private int parallelism = Runtime.getRuntime().availableProcessors();
  private boolean parallelismSet;
  private volatile boolean oneAtATime;
  private Consumer<RunbookTestKit.Builder> kitConfig = b -> { };
  private final AtomicInteger paths = new AtomicInteger();
  private volatile List<FailurePoint> points;
  private volatile int found;
  private volatile int prunedUndos;
  private volatile int prunedCrashes;
  private final Map<String, PlanIndex> indexes = new java.util.concurrent.ConcurrentHashMap<>();

  private FailureExplorer(Supplier<Subject<P>> subjects) {
    this.subjects = Objects.requireNonNull(subjects, "subjects");
  }

  /** Explores the subjects {@code subjects} builds: one fresh subject (and system fake) per path. */
  public static <P> FailureExplorer<P> of(Supplier<Subject<P>> subjects) {
    return new FailureExplorer<>(subjects);
  }

  /**
   * Explores {@code runbook} with {@code params}, with no invariant of the test's own: only the
   * engine-level checks (end state, reverse-order compensation, no duplicate effects). The same
   * runbook object serves every path, so its actions must not keep state between runs.
   */
  public static <P> FailureExplorer<P> of(Runbook<P> runbook, P params) {
    return new FailureExplorer<>(() -> Subject.of(runbook, params));
  }

  /** The seed (default: {@code -Drunbook4j.seed}, else 1). */
  public FailureExplorer<P> seed(long seed) {
    this.seed = seed;
    this.points = null;
    return this;
  }

  /** Whether steps also fail by timing out (default: yes). */
  public FailureExplorer<P> timeouts(boolean on) {
    this.timeouts = on;
    this.points = null;
    return this;
  }

  /** Whether compensations fail during rollbacks (default: yes). */
  public FailureExplorer<P> compensationFailures(boolean on) {
    this.compensations = on;
    this.points = null;
    return this;
  }

  /**
   * Whether each compensation fails in every distinct rollback that runs it (default: no). A runbook
   * of N steps has about N distinct rollbacks (one per step that can fail), so failing every
   * compensation in each makes N²/2 paths; by default each compensation fails in the longest
   * rollback (where every later compensation has run before it) and in the rollback it heads (its
   * own step's failure: nothing ran before it), which covers every compensation failing, first and
   * after others, in 2N paths. The report says how many it pruned.
   */
  public FailureExplorer<P> exhaustive(boolean on) {
    this.exhaustive = on;
    this.points = null;
    return this;
  }

  /**
   * Whether the report keeps the run of every path (default: only of those that do not hold, so
   * that its memory grows with the failures, not with the paths; a test that looks into each path's
   * run turns it on).
   */
  public FailureExplorer<P> keepRuns(boolean on) {
    this.keepRuns = on;
    return this;
  }

  /** Whether the engine crashes at journal writes (default: yes). */
  public FailureExplorer<P> crashes(boolean on) {
    this.crashes = on;
    this.points = null;
    return this;
  }

  /**
   * Runs at most {@code n} failure points, chosen at random with the seed (the path without fault
   * always among them); 0 runs them all (the default).
   */
  public FailureExplorer<P> sample(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("sample(" + n + ") is negative");
    }
    this.sample = n;
    this.points = null;
    return this;
  }

  /**
   * How many paths run at once (default: the number of cores, or one when the subject says its paths
   * share an environment, {@link Subject#oneAtATime()}).
   */
  public FailureExplorer<P> parallelism(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, was " + n);
    }
    this.parallelism = n;
    this.parallelismSet = true;
    return this;
  }

  /** Settings for the kit of every path (a journal, engine settings). */
  public FailureExplorer<P> kit(Consumer<RunbookTestKit.Builder> config) {
    this.kitConfig = Objects.requireNonNull(config, "config");
    this.points = null;
    return this;
  }

  // ---- enumeration

  /**
   * The failure points, in the order found: the path without fault, then each step, gate, watch
   * and wait in the order the path without fault met them, then compensation failures, then
   * crashes. Finding them runs the runbook twice (without fault, and its longest rollback).
   */
  public List<FailurePoint> failurePoints() {
    List<FailurePoint> p = points;
    if (p == null) {
      synchronized (this) {
        p = points;
        if (p == null) {
          List<FailurePoint> all = enumerate();
          found = all.size();
          p = sample(all);
          points = p;
        }
      }
    }
    return p;
  }

  private List<FailurePoint> sample(List<FailurePoint> all) {
    if (sample == 0 || sample >= all.size()) {
      return List.copyOf(all);
    }
    List<Integer> indexes = new ArrayList<>();
    for (int i = 1; i < all.size(); i++) {
      indexes.add(i);
    }
    Collections.shuffle(indexes, new Random(seed));
    Set<Integer> chosen = new HashSet<>(indexes.subList(0, sample - 1));
    List<FailurePoint> out = new ArrayList<>();
    out.add(all.get(0));
    for (int i = 1; i < all.size(); i++) {
      if (chosen.contains(i)) {
        out.add(all.get(i));
      }
    }
    return List.copyOf(out);
  }

  private List<FailurePoint> enumerate() {
    Subject<P> subject = subjects.get();
    oneAtATime = subject.isOneAtATime();
    PlanIndex index = index(subject);
    PathResult base = explore(FailurePoint.none());
    if (base.run() == null) {
      throw new IllegalStateException("The run without fault of runbook '" + index.runbook() + "' could not run: "
          + base.problems());
    }
    TestRun run = base.run();
    Map<String, Set<String>> watchesDuring = new LinkedHashMap<>();
    for (Call c : run.calls()) {
      if (c.kind() == Invocation.Kind.WATCH_CHECK) {
        watchesDuring.computeIfAbsent(c.during(), k -> new LinkedHashSet<>()).add(c.nodeId());
      }
    }
    List<FailurePoint> primary = new ArrayList<>();
    List<String> started = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (RunEvent e : run.events()) {
      if (e instanceof RunEvent.StepStarted s && seen.add("step " + s.stepId())) {
        PlanIndex.Entry entry = index.at(s.stepId());
        List<String> undo = undo(index, started, s.stepId());
        RunState byDefault = expected(index, entry);
        dev.runbook4j.Step<?, ?> def = entry == null ? null : stepDef(subject.runbook().nodes(), "", entry.id());
        RunState expected = routed(def, new InjectedFault("injected by the test: step '" + s.stepId() + "' fails"),
            byDefault);
        List<String> expectedUndo = expected == RunState.ROLLED_BACK || expected == null ? undo : List.of();
        primary.add(FailurePoint.of(FailurePoint.Kind.STEP_FAILS, s.stepId(), null, expected, expectedUndo));
        if (timeouts) {
          RunState onTimeout = routed(def, new dev.runbook4j.StepTimeoutException(s.stepId(), 1,
              java.time.Duration.ZERO), byDefault);
          primary.add(FailurePoint.of(FailurePoint.Kind.STEP_TIMES_OUT, s.stepId(), null, onTimeout,
              onTimeout == RunState.ROLLED_BACK || onTimeout == null ? undo : List.of()));
        }
        started.add(s.stepId());
      } else if (gate(e) != null && seen.add("gate " + gate(e))) {
        String id = gate(e);
        RunState expected = expected(index, index.at(id));
        primary.add(FailurePoint.of(FailurePoint.Kind.GATE_REJECTS, id, null, expected,
            expected == RunState.ROLLED_BACK || expected == null ? undo(index, started, null) : List.of()));
      } else if (e instanceof RunEvent.WaitStarted w && seen.add("wait " + w.waitId())) {
        if (w.kind() == Wait.Kind.BAKE || w.kind() == Wait.Kind.WAIT_UNTIL) {
          for (String watch : watchesDuring.getOrDefault(w.waitId(), Set.of())) {
            primary.add(FailurePoint.of(FailurePoint.Kind.WATCH_BREACHES, watch, w.waitId(), RunState.ROLLED_BACK,
                undo(index, started, null)));
          }
        }
        if (w.kind() == Wait.Kind.WAIT_UNTIL) {
          primary.add(FailurePoint.of(FailurePoint.Kind.WAIT_TIMES_OUT, w.waitId(), null, RunState.ROLLED_BACK,
              undo(index, started, null)));
        }
      }
    }
    List<FailurePoint> all = new ArrayList<>();
    all.add(FailurePoint.none());
    all.addAll(primary);
    int skipped = 0;
    if (compensations) {
      Set<List<String>> rollbacks = new HashSet<>();
      List<FailurePoint> distinct = new ArrayList<>();
      FailurePoint longest = null;
      for (FailurePoint p : primary) {
        if (p.expectedState() == RunState.ROLLED_BACK && !p.expectedCompensations().isEmpty()
            && rollbacks.add(p.expectedCompensations())) {
          distinct.add(p);
          if (longest == null || p.expectedCompensations().size() >= longest.expectedCompensations().size()) {
            longest = p;
          }
        }
      }
      for (FailurePoint p : distinct) {
        List<String> undo = p.expectedCompensations();
        for (int i = 0; i < undo.size(); i++) {
          if (exhaustive || p == longest || i == 0) {
            PlanIndex.Entry e = index.at(undo.get(i));
            all.add(FailurePoint.compensationFails(undo.get(i), p,
                e != null && e.attributes().containsKey("onCompensationFailure")));
          } else {
            skipped++;
          }
        }
      }
    }
    prunedUndos = skipped;
    // the gate before the rollback (beforeRollback), rejected in the longest rollback: nothing is undone
    subject.runbook().rollbackGate().ifPresent(g -> {
      FailurePoint longest = null;
      for (FailurePoint p : primary) {
        if (p.expectedState() == RunState.ROLLED_BACK && (longest == null
            || p.expectedCompensations().size() > longest.expectedCompensations().size())) {
          longest = p;
        }
      }
      if (longest != null) {
        all.add(FailurePoint.rollbackGateRejects("rollback/" + g.name(), longest));
      }
    });
    int[] skippedCrashes = {0};
    if (crashes) {
      List<RunEvent> events = run.events();
      skippedCrashes[0] += addCrashes(all, events, 0, null);
      FailurePoint deepest = null;
      for (FailurePoint p : primary) {
        if (p.kind() == FailurePoint.Kind.STEP_FAILS && p.expectedState() == RunState.ROLLED_BACK) {
          deepest = p;
        }
      }
      if (deepest != null) {
        PathResult rollback = explore(deepest);
        if (rollback.run() != null) {
          List<RunEvent> rb = rollback.run().events();
          int same = 0;
          while (same < rb.size() && same < events.size()
              && JournalText.describe(rb.get(same)).equals(JournalText.describe(events.get(same)))) {
            same++;
          }
          skippedCrashes[0] += addCrashes(all, rb, same, deepest);
        }
      }
    }
    prunedCrashes = skippedCrashes[0];
    return all;
  }

  /**
   * Crashes before and after each write from position {@code from + 1} on (after the last: nothing
   * left to do), but those inside a repetition: a gate re-checked or a condition polled every minute
   * writes the same few events once per tick, and a crash at one tick behaves as at the next, so of
   * a block of events that repeats the block before it and is repeated after it (the same
   * descriptions: the same outcome of the same check) no crash point is kept; the first and the last
   * repetition keep theirs, and so does every tick whose outcome differs. Returns how many it left out.
   */
  private int addCrashes(List<FailurePoint> all, List<RunEvent> events, int from, FailurePoint on) {
    String[] what = new String[events.size()];
    for (int i = 0; i < what.length; i++) {
      what[i] = JournalText.describe(events.get(i));
    }
    boolean[] repeat = exhaustive ? new boolean[what.length] : repetitions(what);
    int left = 0;
    for (int i = from; i < events.size(); i++) {
      boolean last = i + 1 >= events.size();
      if (repeat[i]) {
        left += last ? 1 : 2;
        continue;
      }
      all.add(FailurePoint.crash(true, i + 1, what[i], on));
      if (!last) {
        all.add(FailurePoint.crash(false, i + 1, what[i], on));
      }
    }
    return left;
  }

  /** Which events are inside a middle repetition of a block of one to four events (see addCrashes). */
  static boolean[] repetitions(String[] what) {
    boolean[] middle = new boolean[what.length];
    for (int k = 1; k <= 4; k++) {
      for (int i = k; i + 2 * k <= what.length; ) {
        if (!middle[i] && same(what, i - k, i, k) && same(what, i, i + k, k)) {
          for (int j = i; j < i + k; j++) {
            middle[j] = true;
          }
          i += k;
        } else {
          i++;
        }
      }
    }
    return middle;
  }

  private static boolean same(String[] what, int a, int b, int k) {
    for (int j = 0; j < k; j++) {
      if (!what[a + j].equals(what[b + j])) {
        return false;
      }
    }
    return true;
  }

  private static String gate(RunEvent e) {
    if (e instanceof RunEvent.GatePassed g) {
      return g.gateId();
    } else if (e instanceof RunEvent.GateWaiting g) {
      return g.gateId();
    } else if (e instanceof RunEvent.ApprovalRequested g) {
      return g.gateId();
    } else if (e instanceof RunEvent.GateRejected g) {
      return g.gateId();
    }
    return null;
  }

  /**
   * What a failure with {@code fault} of step {@code def} ends in when one of its failure rules
   * routes it; {@code byDefault} (by its onFailure, or null inside a tolerant forEach) otherwise.
   */
  private static RunState routed(dev.runbook4j.Step<?, ?> def, Throwable fault, RunState byDefault) {
    dev.runbook4j.FailureRule rule = def == null || byDefault == null ? null : def.ruleFor(fault);
    if (rule == null) {
      return byDefault;
    }
    return switch (rule.route()) {
      case CONTINUE -> RunState.SUCCEEDED;
      case ABORT -> RunState.ABORTED;
      default -> RunState.ROLLED_BACK;
    };
  }

  /** The step whose static id ({@code hosts[*]/drain}) is {@code id}, or null. */
  static dev.runbook4j.Step<?, ?> stepDef(List<dev.runbook4j.Node> nodes, String path, String id) {
    for (dev.runbook4j.Node n : nodes) {
      String p = path.isEmpty() ? n.name() : path + "/" + n.name();
      if (n instanceof dev.runbook4j.Step<?, ?> s && p.equals(id)) {
        return s;
      }
      List<dev.runbook4j.Group<?>> groups = n instanceof dev.runbook4j.Parallel<?> par ? List.<dev.runbook4j.Group<?>>copyOf(par.branches())
          : n instanceof dev.runbook4j.Choice<?> c ? List.<dev.runbook4j.Group<?>>copyOf(c.options()) : List.of();
      for (dev.runbook4j.Group<?> g : groups) {
        dev.runbook4j.Step<?, ?> found = stepDef(g.nodes(), p + "/" + g.name(), id);
        if (found != null) {
          return found;
        }
      }
      dev.runbook4j.Step<?, ?> found = n instanceof dev.runbook4j.Group<?> g ? stepDef(g.nodes(), p, id)
          : n instanceof dev.runbook4j.ForEach<?, ?> f ? stepDef(f.nodes(), p + "[*]", id) : null;
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  /** What a failure at {@code entry} should end in: by its onFailure; null when a forEach may tolerate it. */
  private static RunState expected(PlanIndex index, PlanIndex.Entry entry) {
    if (entry == null) {
      return RunState.ROLLED_BACK;
    }
    int star = entry.id().indexOf("[*]");
    while (star >= 0) {
      PlanIndex.Entry loop = index.at(entry.id().substring(0, star));
      if (loop == null || !"0".equals(loop.attributes().get("maxErrors"))) {
        return null;  // inside a forEach that tolerates errors: its maxErrors decides
      }
      star = entry.id().indexOf("[*]", star + 3);
    }
    return switch (entry.onFailure()) {
      case "continue" -> RunState.SUCCEEDED;
      case "abort" -> RunState.ABORTED;
      default -> RunState.ROLLED_BACK;
    };
  }

  /** The compensated steps of {@code started} (and {@code failing}), last first. */
  private static List<String> undo(PlanIndex index, List<String> started, String failing) {
    List<String> all = new ArrayList<>(started);
    if (failing != null) {
      all.add(failing);
    }
    List<String> out = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      PlanIndex.Entry e = index.at(all.get(i));
      if (e != null && e.compensated()) {
        out.add(all.get(i));
      }
    }
    return out;
  }

  // ---- running

  /** Runs every failure point and reports what held. */
  public ExplorationReport explore() {
    return explore(r -> { });
  }

  /**
   * Runs every failure point and reports what held, handing each path's result to {@code each} as
   * soon as it is known, in the order the paths were found (a command line prints each path's line
   * as it goes, so what the path's actions print appears above it).
   */
  public ExplorationReport explore(Consumer<PathResult> each) {
    Objects.requireNonNull(each, "each");
    long t0 = System.nanoTime();
    List<FailurePoint> all = failurePoints();
    List<PathResult> results = new ArrayList<>(all.size());
    if (parallelism == 1 || oneAtATime && !parallelismSet) {
      for (FailurePoint p : all) {
        PathResult r = kept(explore(p));
        results.add(r);
        each.accept(r);
      }
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(parallelism, daemon("runbook4j-explorer"));
      try {
        List<Future<PathResult>> futures = new ArrayList<>();
        for (FailurePoint p : all) {
          futures.add(pool.submit(() -> kept(explore(p))));
        }
        for (Future<PathResult> f : futures) {
          PathResult r = f.get();
          results.add(r);
          each.accept(r);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Exploration interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("Exploration failed: " + e.getCause(), e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    String name = subjects.get().runbook().name();
    return new ExplorationReport(name, seed, found, prunedUndos, prunedCrashes, results, Duration.ofNanos(System.nanoTime() - t0));
  }

  /**
   * What the report keeps of a path: a path that holds without its run (its journal and calls), so
   * that memory grows with the failing paths, not with the paths explored.
   */
  private PathResult kept(PathResult r) {
    return r.holds() && !keepRuns ? new PathResult(r.point(), null, r.problems(), r.wall(), r.reached()) : r;
  }

  /** Runs one failure point on a fresh kit and subject, and checks it. */
  public PathResult explore(FailurePoint point) {
    return explore(point, subjects.get());
  }

  /** Runs one failure point on a fresh kit, with {@code subject} (for a test that built its own). */
  public PathResult explore(FailurePoint point, Subject<P> subject) {
    long t0 = System.nanoTime();
    RunbookTestKit.Builder b = RunbookTestKit.builder().seed(seed).workers(WORKERS)
        .runIdPrefix("path-" + Long.toHexString(seed) + "-" + paths.incrementAndGet() + "-")
        .engine(e -> e.noParking());
    kitConfig.accept(b);
    TestRun run = null;
    List<String> problems;
    try (RunbookTestKit kit = b.build()) {
      approvals(subject).forEach((gate, users) -> kit.faults().approveAs(gate, users.toArray(String[]::new)));
      point.applyTo(kit.faults());
      run = kit.run(subject.runbook(), subject.params());
      if (run.crashed()) {
        run = kit.resume(run);
      }
      problems = verdict(point, subject, run, index(subject, run));
    } catch (RuntimeException | AssertionError e) {
      problems = List.of("the path could not run: " + e);
    }
    return new PathResult(point, run, problems, Duration.ofNanos(System.nanoTime() - t0),
        run == null || fired(point, run));
  }

  private PlanIndex index(Subject<P> subject) {
    return new PlanIndex(Plan.of(subject.runbook(), subject.params()));
  }

  /**
   * The plan's index for a path's run, made once per plan hash: every subject the supplier builds is
   * the same runbook with a fresh fake behind it, so the paths share one index (the run's journal
   * names the hash of the plan it ran).
   */
  private PlanIndex index(Subject<P> subject, TestRun run) {
    List<RunEvent.RunStarted> started = run.events(RunEvent.RunStarted.class);
    if (started.isEmpty()) {
      return index(subject);
    }
    return indexes.computeIfAbsent(started.get(0).planHash(), h -> index(subject));
  }

  /** Who approves each approval gate: the subject's choice, else the gate's first named approvers. */
  private Map<String, List<String>> approvals(Subject<P> subject) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Map<String, ApprovalSpec> gates = Approvals.of(subject.runbook());
    for (Map.Entry<String, ApprovalSpec> g : gates.entrySet()) {
      List<String> chosen = null;
      for (Map.Entry<String, List<String>> c : subject.approvers().entrySet()) {
        if (PlanIndex.matches(c.getKey(), g.getKey()) || PlanIndex.matches(PlanIndex.generic(c.getKey()), g.getKey())) {
          chosen = c.getValue();
        }
      }
      if (chosen == null) {
        ApprovalSpec spec = g.getValue();
        List<String> named = Approvals.named(spec, RunbookTestKit.REQUESTER);
        if (named.size() < spec.minApprovals()) {
          throw new IllegalArgumentException("Approval gate '" + g.getKey() + "' of runbook '"
              + subject.runbook().name() + "' needs " + spec.minApprovals()
              + (spec.minApprovals() == 1 ? " approval" : " approvals") + " but names "
              + (named.isEmpty() ? "no approvers" : "only " + named) + spec.role().map(r -> " (it approves by role '"
              + r + "')").orElse("") + "; tell the explorer who approves: Subject.approveAs(\"" + g.getKey()
              + "\", \"alice\", ...) in Java, --approve " + g.getKey() + "=alice,... on the command line");
        }
        chosen = named.subList(0, spec.minApprovals());
      }
      out.put(g.getKey(), chosen);
    }
    return out;
  }

  // ---- the verdict

  static <P> List<String> verdict(FailurePoint point, Subject<P> subject, TestRun run, PlanIndex index) {
    List<String> problems = new ArrayList<>();
    if (run.crashed()) {
      problems.add("the run did not finish after the restart: " + run.crash().orElse(""));
      return problems;
    }
    RunState state = run.state();
    RunState expected = point.expectedState();
    if (state == RunState.AWAITING_APPROVAL) {
      problems.add("the run waits at an approval no one gave: tell the explorer who approves (Subject.approveAs in"
          + " Java, --approve GATE=USER,... on the command line)");
      return problems;
    }
    // a fault the run did not reach (parallel branches that ran in another order than in the path
    // without fault) says nothing about the expected end; the rest is checked all the same
    boolean reached = fired(point, run);
    if (reached && (expected != null && state != expected || expected == null && state != RunState.SUCCEEDED
        && state != RunState.ROLLED_BACK)) {
      problems.add("the run ended " + state + ", expected " + (expected == null ? "SUCCEEDED or ROLLED_BACK" : expected)
          + run.result().failure().map(f -> " (" + f.getMessage() + ")").orElse(""));
    }
    List<String> started = run.started();
    List<String> shouldUndo = new ArrayList<>();
    for (int i = started.size() - 1; i >= 0; i--) {
      PlanIndex.Entry e = index.at(started.get(i));
      if (e != null && e.compensated()) {
        shouldUndo.add(started.get(i));
      }
    }
    if (reached && point.kind() == FailurePoint.Kind.COMPENSATION_FAILS) {
      // a compensation that stops the rollback when it fails: the steps after it are not attempted
      for (int i = 0; i < shouldUndo.size(); i++) {
        PlanIndex.Entry e = index.at(shouldUndo.get(i));
        if (PlanIndex.matches(point.node(), shouldUndo.get(i)) && e != null
            && e.attributes().containsKey("onCompensationFailure")) {
          shouldUndo.subList(i + 1, shouldUndo.size()).clear();
          break;
        }
      }
    }
    List<String> undone = run.compensationsCalled();
    if (state == RunState.ROLLED_BACK || state == RunState.ROLLBACK_FAILED) {
      if (!undone.equals(shouldUndo)) {
        List<String> missing = new ArrayList<>(shouldUndo);
        missing.removeAll(undone);
        List<String> extra = new ArrayList<>(undone);
        extra.removeAll(shouldUndo);
        if (!missing.isEmpty()) {
          problems.add("started but never compensated: " + missing);
        }
        if (!extra.isEmpty()) {
          problems.add("compensated without having started: " + extra);
        }
        if (missing.isEmpty() && extra.isEmpty()) {
          problems.add("compensations ran in the order " + undone + ", not in reverse start order " + shouldUndo);
        }
      }
      Map<String, Call> lastUndo = new java.util.HashMap<>();
      for (Call c : run.calls()) {
        if (c.kind() == Invocation.Kind.COMPENSATION) {
          lastUndo.put(c.nodeId(), c);
        }
      }
      for (String id : shouldUndo) {
        Call last = lastUndo.get(id);
        boolean meantToFail = reached && point.kind() == FailurePoint.Kind.COMPENSATION_FAILS
            && PlanIndex.matches(point.node(), id);
        if (last != null && last.failed() && !meantToFail) {
          problems.add("the compensation of '" + id + "' failed: " + last.detail());
        } else if (meantToFail && last != null && !last.failed()) {
          problems.add("the compensation of '" + id + "' was made to fail, yet its last call succeeded");
        }
      }
    } else if (!undone.isEmpty()) {
      problems.add("compensated " + undone + " although the run ended " + state);
    }
    problems.addAll(Effects.duplicates(run));
    run.journalProblem().ifPresent(p -> problems.add("the journal does not verify: " + p));
    for (Subject.Check c : subject.checks()) {
      if (c.when() == null || c.when() == state) {
        try {
          c.check().check(run);
        } catch (Exception | AssertionError e) {
          String message = e.getMessage() == null ? e.toString() : e.getMessage().strip();
          problems.add("invariant '" + c.description() + "' does not hold: " + message);
        }
      }
    }
    return problems;
  }

  static boolean fired(FailurePoint point, TestRun run) {
    return switch (point.kind()) {
      case NONE, CRASH_BEFORE_WRITE, CRASH_AFTER_WRITE -> true;
      case COMPENSATION_FAILS -> run.calls().stream().anyMatch(c -> c.kind() == Invocation.Kind.COMPENSATION
          && c.injected() && PlanIndex.matches(point.node(), c.nodeId()));
      case WATCH_BREACHES -> run.calls().stream().anyMatch(c -> c.kind() == Invocation.Kind.WATCH_CHECK
          && c.injected() && PlanIndex.matches(point.node(), c.nodeId()));
      default -> run.calls().stream().anyMatch(c -> c.injected() && PlanIndex.matches(point.node(), c.nodeId()))
          || point.kind() == FailurePoint.Kind.GATE_REJECTS && run.events(RunEvent.GateRejected.class).stream()
              .anyMatch(g -> PlanIndex.matches(point.node(), g.gateId()));
    };
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static ExecutorService workers() {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
        new java.util.concurrent.SynchronousQueue<>(), daemon("runbook4j-explorer-worker"));
  }
}
