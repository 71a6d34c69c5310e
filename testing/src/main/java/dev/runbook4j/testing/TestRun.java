package dev.runbook4j.testing;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.spi.Invocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * A run made by a {@link RunbookTestKit}: its result, its journal, and the calls the engine made
 * into the runbook's code, as the kit saw them. Assert on it with
 * {@link RunbookAssertions#assertThat(TestRun)}.
 *
 * <p>A run the kit crashed ({@link Faults#crashBeforeWrite}) has no result: {@link #crashed()} says
 * so, {@link #state()} is the last state the journal shows, and {@link RunbookTestKit#resume}
 * goes on with it on a new engine.
 *
 * <p>This class is immutable: a snapshot taken when the kit's call returned.
 *
 * @since 0.1
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class TestRun {
  private final String runId;
  private final String runbook;
  private final RunResult result;
  private final String crash;
  private final List<RunEvent> events;
  private final List<Call> calls;
  private final long seed;
  private final String problem;

  TestRun(String runId, String runbook, RunResult result, String crash, List<RunEvent> events, List<Call> calls,
      long seed, String problem) {
    this.runId = runId;
    this.runbook = runbook;
    this.result = result;
    this.crash = crash;
    this.events = List.copyOf(events);
    this.calls = List.copyOf(calls);
    this.seed = seed;
    this.problem = problem;
  }

  /** What the journal's integrity check found wrong with this run's events, if anything. */
  public Optional<String> journalProblem() {
    return Optional.ofNullable(problem);
  }

  public String runId() {
    return runId;
  }

  public String runbook() {
    return runbook;
  }

  /** The kit's seed: give it back ({@code RunbookTestKit.builder().seed(n)}) to replay. */
  public long seed() {
    return seed;
  }

  /**
   * The engine's result.
   *
   * @throws IllegalStateException when the kit crashed the engine during the run
   */
  public RunResult result() {
    if (result == null) {
      throw new IllegalStateException("Run " + runId + " has no result: " + (crash != null
          ? crash + "; resume it with kit.resume(run)" : "it had not ended when this snapshot was taken"));
    }
    return result;
  }

  /** Where the run stands: the result's state, or for a crashed run the last state its journal shows. */
  public RunState state() {
    if (result != null) {
      return result.state();
    }
    RunState s = RunState.RUNNING;
    for (RunEvent e : events) {
      if (e instanceof RunEvent.RunStateChanged c) {
        s = c.to();
      } else if (e instanceof RunEvent.RunFinished f) {
        s = f.state();
      }
    }
    return s;
  }

  public boolean succeeded() {
    return result != null && result.state() == RunState.SUCCEEDED;
  }

  public boolean rolledBack() {
    return result != null && result.state() == RunState.ROLLED_BACK;
  }

  public boolean rollbackFailed() {
    return result != null && result.state() == RunState.ROLLBACK_FAILED;
  }

  public boolean aborted() {
    return result != null && result.state() == RunState.ABORTED;
  }

  /** Whether the run waits at an approval no fault decided. */
  public boolean parked() {
    return result != null && result.isParked();
  }

  /** Whether the kit crashed the engine during this run. */
  public boolean crashed() {
    return crash != null;
  }

  /** The crash ("crash before write 7 (step started shift-50 #1)"), if the kit crashed the engine. */
  public Optional<String> crash() {
    return Optional.ofNullable(crash);
  }

  /** The run's journal, in order. */
  public List<RunEvent> events() {
    return events;
  }

  /** The events of one type, in order. */
  public <E extends RunEvent> List<E> events(Class<E> type) {
    List<E> out = new ArrayList<>();
    for (RunEvent e : events) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }

  /** Every call into the runbook's code the kit saw for this run (across restarts), in order. */
  public List<Call> calls() {
    return calls;
  }

  /** The steps whose action the journal shows started, in start order (each once). */
  public List<String> started() {
    Set<String> ids = new LinkedHashSet<>();
    for (RunEvent e : events) {
      if (e instanceof RunEvent.StepStarted s) {
        ids.add(s.stepId());
      }
    }
    return List.copyOf(ids);
  }

  /** The steps the journal shows undone, in the order they were undone. */
  public List<String> compensated() {
    List<String> ids = new ArrayList<>();
    for (RunEvent e : events) {
      if (e instanceof RunEvent.CompensationSucceeded s && !ids.contains(s.stepId())) {
        ids.add(s.stepId());
      }
    }
    return ids;
  }

  /**
   * The steps whose action the engine called (the runbook's code, or a fault in its place), in the
   * order of each one's first call.
   */
  public List<String> actionsCalled() {
    return called(Invocation.Kind.ACTION);
  }

  /**
   * The steps whose compensation the engine called (the runbook's code, or a fault in its place), in
   * the order of each one's first call.
   */
  public List<String> compensationsCalled() {
    return called(Invocation.Kind.COMPENSATION);
  }

  private List<String> called(Invocation.Kind kind) {
    Set<String> ids = new LinkedHashSet<>();
    for (Call c : calls) {
      if (c.kind() == kind) {
        ids.add(c.nodeId());
      }
    }
    return List.copyOf(ids);
  }

  /** Virtual time from the first event to the last. */
  public Duration virtualDuration() {
    return events.isEmpty() ? Duration.ZERO : Duration.between(events.get(0).at(), events.get(events.size() - 1).at());
  }

  /** The journal as a table (see {@link JournalText}), headed by the run, its state and the seed. */
  public String journalText() {
    return "Run " + runId + " of '" + runbook + "': " + state() + (crash == null ? "" : " (" + crash + ")")
        + ", seed " + seed + "\n" + JournalText.of(events);
  }

  @Override
  public String toString() {
    return "TestRun " + runId + " (" + runbook + ") " + state() + (crash == null ? "" : ", " + crash);
  }
}
