package dev.runbook4j.testing;

import dev.runbook4j.RunEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apiguardian.api.API;

/**
 * The faults a test injects, by name: steps and compensations that fail (some times or always, with
 * an exception or by timing out), gates that reject, approvals given or refused by named users,
 * watches that breach from a virtual instant, waits whose condition never holds, and crashes of
 * the engine before or after a journal write. They reach a runbook from outside (through the
 * engine's {@link dev.runbook4j.spi.Interceptor} and journal), so a Java-built runbook and one
 * loaded from a script are faulted alike, and the runbook is not changed.
 *
 * <pre>{@code
 * kit.faults()
 *     .failStep("shift-50").byTimeout()
 *     .and().failCompensation("shift-10").times(2)
 *     .and().approveAs("go-live", "alice", "bob");
 * }</pre>
 *
 * <p>Names are step, gate, wait and watch names as the runbook declares them, or their full ids
 * ({@code group/step}); a name inside a {@code forEach} matches every item. Every name is checked
 * against the runbook's plan when a run starts: an unknown name, a compensation fault on a step
 * that has none, or an approval on a gate that is not one fails the run before anything is called,
 * naming what the runbook has.
 *
 * <p>This class is threadsafe.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Faults {
  private final List<StepFault> steps = new CopyOnWriteArrayList<>();
  private final List<String> rejectedGates = new CopyOnWriteArrayList<>();
  private final List<ApprovalDecision> approvals = new CopyOnWriteArrayList<>();
  private final java.util.Map<String, String> choices = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<WatchBreach> breaches = new CopyOnWriteArrayList<>();
  private final List<String> neverSatisfied = new CopyOnWriteArrayList<>();
  private final List<Crash> crashes = new CopyOnWriteArrayList<>();

  Faults() {}

  /** Makes step {@code step}'s action fail: always, unless told {@link StepFault#times how often}. */
  public StepFault failStep(String step) {
    StepFault f = new StepFault(this, name(step, "step"), false);
    steps.add(f);
    return f;
  }

  /** Makes step {@code step}'s compensation fail: always, unless told {@link StepFault#times how often}. */
  public StepFault failCompensation(String step) {
    StepFault f = new StepFault(this, name(step, "step"), true);
    steps.add(f);
    return f;
  }

  /**
   * Makes gate {@code gate} reject the run: a check gate answers "reject"; an approval gate is
   * rejected by user {@code test}.
   */
  public Faults rejectGate(String gate) {
    rejectedGates.add(name(gate, "gate"));
    return this;
  }

  /** Approves approval gate {@code gate} as each of {@code users}, in turn, when the run reaches it. */
  public Faults approveAs(String gate, String... users) {
    if (users.length == 0) {
      throw new IllegalArgumentException("approveAs('" + gate + "') names no user; give at least one");
    }
    approvals.add(new ApprovalDecision(name(gate, "gate"), List.of(users), null));
    return this;
  }

  /**
   * Approves approval gate {@code gate}, which asks its approver to choose one of its options, as
   * {@code user} choosing {@code choice}. (Without this, the kit's approvals choose the gate's first
   * option.)
   *
   * @since 0.9
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.9")
  public Faults approveChoosing(String gate, String user, String choice) {
    choices.put(name(gate, "gate"), Objects.requireNonNull(choice, "choice"));
    approvals.add(new ApprovalDecision(name(gate, "gate"), List.of(name(user, "user")), null));
    return this;
  }

  /** The choice a test made for approval gate {@code gateId}, or null. */
  String choice(String gateId) {
    for (java.util.Map.Entry<String, String> c : choices.entrySet()) {
      if (PlanIndex.matches(c.getKey(), gateId)) {
        return c.getValue();
      }
    }
    return null;
  }

  /** Rejects approval gate {@code gate} as {@code user}, with {@code reason}, when the run reaches it. */
  public Faults rejectAs(String gate, String user, String reason) {
    approvals.add(new ApprovalDecision(name(gate, "gate"), List.of(name(user, "user")),
        Objects.requireNonNull(reason, "reason")));
    return this;
  }

  /** Makes watch {@code watch} report a breach: from its first check, unless told {@link WatchBreach#at when}. */
  public WatchBreach breachWatch(String watch) {
    WatchBreach b = new WatchBreach(this, name(watch, "watch"));
    breaches.add(b);
    return b;
  }

  /** Makes waitUntil {@code waitId}'s condition never hold, so the wait times out. */
  public Faults neverSatisfied(String waitId) {
    neverSatisfied.add(name(waitId, "wait"));
    return this;
  }

  /**
   * Kills the engine just before it writes event number {@code position} of a run (1 is
   * {@code RunStarted}): that write and every later one fail, no more user code is called, and the
   * kit builds a new engine on the same journal for {@link RunbookTestKit#resume}.
   */
  public Faults crashBeforeWrite(int position) {
    return crash(true, position, null, "before write " + position);
  }

  /** Kills the engine just after event number {@code position} of a run is durably written. */
  public Faults crashAfterWrite(int position) {
    return crash(false, position, null, "after write " + position);
  }

  /** Kills the engine just before it writes the first event that {@code event} accepts. */
  public Faults crashBefore(Predicate<RunEvent> event) {
    return crash(true, 0, Objects.requireNonNull(event, "event"), "before a matching write");
  }

  /** Kills the engine just after the first event that {@code event} accepts is durably written. */
  public Faults crashAfter(Predicate<RunEvent> event) {
    return crash(false, 0, Objects.requireNonNull(event, "event"), "after a matching write");
  }

  private Faults crash(boolean before, int position, Predicate<RunEvent> event, String label) {
    if (event == null && position < 1) {
      throw new IllegalArgumentException("A crash position counts a run's journal writes from 1; was " + position);
    }
    crashes.add(new Crash(before, position, event, label));
    return this;
  }

  /** Removes every fault. */
  public Faults clear() {
    steps.clear();
    rejectedGates.clear();
    approvals.clear();
    breaches.clear();
    neverSatisfied.clear();
    crashes.clear();
    return this;
  }

  /** Whether no fault is set. */
  public boolean isEmpty() {
    return steps.isEmpty() && rejectedGates.isEmpty() && approvals.isEmpty() && breaches.isEmpty()
        && neverSatisfied.isEmpty() && crashes.isEmpty();
  }

  /** The faults, one sentence each. */
  public List<String> describe() {
    List<String> out = new ArrayList<>();
    steps.forEach(f -> out.add(f.toString()));
    rejectedGates.forEach(g -> out.add("reject gate '" + g + "'"));
    approvals.forEach(a -> out.add(a.toString()));
    breaches.forEach(b -> out.add(b.toString()));
    neverSatisfied.forEach(w -> out.add("wait '" + w + "' never satisfied"));
    crashes.forEach(c -> out.add("crash " + c.label));
    return out;
  }

  @Override
  public String toString() {
    return isEmpty() ? "no faults" : String.join("; ", describe());
  }

  private static String name(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) {
      throw new IllegalArgumentException("A fault names a blank " + what);
    }
    return name;
  }

  // ---- checked against a runbook, and consulted while it runs

  /** Checks every name against {@code index}; throws naming the first that is wrong. */
  void check(PlanIndex index) {
    for (StepFault f : steps) {
      List<PlanIndex.Entry> found = index.resolve(f.step, f.compensation ? "the compensation of step" : "step", "step");
      if (f.compensation) {
        for (PlanIndex.Entry e : found) {
          if (!e.compensated()) {
            throw new IllegalArgumentException("The fault makes the compensation of step '" + e.id() + "' fail, but in"
                + " runbook '" + index.runbook() + "' that step is " + e.undo() + ": it has no compensation to fail");
          }
        }
      }
    }
    for (String g : rejectedGates) {
      index.resolve(g, "gate", "gate");
    }
    for (ApprovalDecision a : approvals) {
      for (PlanIndex.Entry e : index.resolve(a.gate, "gate", "gate")) {
        if (!e.approval()) {
          throw new IllegalArgumentException("The fault " + (a.reason == null ? "approves" : "rejects") + " gate '"
              + e.id() + "' as a user, but in runbook '" + index.runbook() + "' that gate is a check, not an approval;"
              + " use rejectGate('" + a.gate + "') to make its check reject");
        }
      }
    }
    for (WatchBreach b : breaches) {
      index.resolve(b.watch, "watch", "watch");
      if (b.during != null) {
        index.resolve(b.during, "the node a watch breaches during, ", "step", "bake", "waitUntil");
      }
    }
    for (String w : neverSatisfied) {
      index.resolve(w, "waitUntil", "waitUntil");
    }
  }

  StepFault stepFault(String id, boolean compensation) {
    for (StepFault f : steps) {
      if (f.compensation == compensation && PlanIndex.matches(f.step, id)) {
        return f;
      }
    }
    return null;
  }

  boolean rejects(String gateId) {
    for (String g : rejectedGates) {
      if (PlanIndex.matches(g, gateId)) {
        return true;
      }
    }
    return false;
  }

  ApprovalDecision approval(String gateId) {
    for (ApprovalDecision a : approvals) {
      if (PlanIndex.matches(a.gate, gateId)) {
        return a;
      }
    }
    return null;
  }

  WatchBreach breach(String watch, String during, Instant at, Instant runStarted) {
    for (WatchBreach b : breaches) {
      if (PlanIndex.matches(b.watch, watch) && b.due(during, at, runStarted)) {
        return b;
      }
    }
    return null;
  }

  boolean holdsNever(String waitId) {
    for (String w : neverSatisfied) {
      if (PlanIndex.matches(w, waitId)) {
        return true;
      }
    }
    return false;
  }

  /** The crash due at this write, if any; one-shot: it is removed. */
  Crash crashAt(RunEvent event, int position, boolean before) {
    for (Crash c : crashes) {
      if (c.before == before && (c.event != null ? c.event.test(event) : c.position == position)) {
        crashes.remove(c);
        return c;
      }
    }
    return null;
  }

  boolean hasCrashes() {
    return !crashes.isEmpty();
  }

  record ApprovalDecision(String gate, List<String> users, String reason) {
    @Override
    public String toString() {
      return reason == null ? "approve gate '" + gate + "' as " + String.join(", ", users)
          : "reject gate '" + gate + "' as " + users.get(0) + " (" + reason + ")";
    }
  }

  record Crash(boolean before, int position, Predicate<RunEvent> event, String label) {}

  /**
   * A failing step or compensation. Fails always unless given {@link #times}; throws an
   * {@link InjectedFault} unless given {@link #with} an exception, or times out ({@link #byTimeout}).
   */
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class StepFault {
    private final Faults faults;
    final String step;
    final boolean compensation;
    private volatile int times = -1;
    private volatile Supplier<? extends Exception> exception;
    private volatile boolean timeout;
    private volatile boolean afterCall;
    private final AtomicInteger fired = new AtomicInteger();

    private StepFault(Faults faults, String step, boolean compensation) {
      this.faults = faults;
      this.step = step;
      this.compensation = compensation;
    }

    /** Fails the first {@code n} calls, then lets calls through (a transient fault a retry can ride out). */
    public StepFault times(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("times(" + n + "): a fault fails at least one call");
      }
      this.times = n;
      return this;
    }

    /** Fails the first call only. */
    public StepFault once() {
      return times(1);
    }

    /** Fails every call (the default). */
    public StepFault always() {
      this.times = -1;
      return this;
    }

    /** Fails by throwing what {@code exception} supplies, a new one per call. */
    public StepFault with(Supplier<? extends Exception> exception) {
      this.exception = Objects.requireNonNull(exception, "exception");
      this.timeout = false;
      return this;
    }

    /**
     * Fails by timing out after the call: the runbook's code runs (its effect lands), then, when the
     * step declares a timeout, the attempt hangs (on virtual time) until the engine's timeout
     * interrupts it; without one, it throws a {@link java.util.concurrent.TimeoutException} as a
     * client's own timeout would. The response is lost: the compensation gets no output, which is
     * what a compensation must be ready for.
     */
    public StepFault byTimeout() {
      this.timeout = true;
      this.exception = null;
      this.afterCall = true;
      return this;
    }

    /**
     * Fails after the runbook's code has run (its effect landed, its response is lost), instead of
     * in its place (the default: the call fails before it has any effect).
     */
    public StepFault afterCall() {
      this.afterCall = true;
      return this;
    }

    boolean afterCallSet() {
      return afterCall;
    }

    /** Back to the faults, to add another. */
    public Faults and() {
      return faults;
    }

    /** How many calls this fault has failed so far. */
    public int fired() {
      return fired.get();
    }

    /** Whether this call fails; counts it if so. */
    boolean fire() {
      while (true) {
        int n = fired.get();
        if (times >= 0 && n >= times) {
          return false;
        }
        if (fired.compareAndSet(n, n + 1)) {
          return true;
        }
      }
    }

    boolean byTimeoutSet() {
      return timeout;
    }

    Exception exception(String what) {
      Supplier<? extends Exception> s = exception;
      if (s != null) {
        Exception e = s.get();
        if (e == null) {
          return new InjectedFault("injected by the test: " + what + " fails (the fault's supplier returned null)");
        }
        return e;
      }
      return new InjectedFault("injected by the test: " + what + " fails");
    }

    @Override
    public String toString() {
      return "fail " + (compensation ? "undo of '" : "'") + step + "'" + (timeout ? " by timeout"
          : afterCall ? " after its call" : "")
          + (times < 0 ? "" : times == 1 ? " once" : " " + times + " times");
    }
  }

  /** A watch that reports a breach from some virtual instant on. */
  @API(status = API.Status.EXPERIMENTAL, since = "0.1")
  public static final class WatchBreach {
    private final Faults faults;
    final String watch;
    private volatile Instant at;
    private volatile Duration after;
    volatile String during;

    private WatchBreach(Faults faults, String watch) {
      this.faults = faults;
      this.watch = watch;
    }

    /** Breaches from virtual instant {@code at} on (every check at or after it). */
    public WatchBreach at(Instant at) {
      this.at = Objects.requireNonNull(at, "at");
      this.after = null;
      return this;
    }

    /** Breaches from {@code after} past the run's start on. */
    public WatchBreach after(Duration after) {
      if (after.isNegative()) {
        throw new IllegalArgumentException("after(" + after + ") is negative");
      }
      this.after = after;
      this.at = null;
      return this;
    }

    /** Breaches only in checks made during (or, for a step, just before) node {@code node}: a bake, a waitUntil or a step. */
    public WatchBreach during(String node) {
      this.during = name(node, "node");
      return this;
    }

    /** Back to the faults, to add another. */
    public Faults and() {
      return faults;
    }

    boolean due(String checkedAt, Instant now, Instant runStarted) {
      if (during != null && !PlanIndex.matches(during, checkedAt)) {
        return false;
      }
      Instant from = at != null ? at : after != null && runStarted != null ? runStarted.plus(after) : null;
      return from == null || !now.isBefore(from);
    }

    @Override
    public String toString() {
      return "breach watch '" + watch + "'" + (during == null ? "" : " during '" + during + "'")
          + (at != null ? " from " + at : after != null ? " from " + dev.runbook4j.Durations.format(after) + " in" : "");
    }
  }
}
