package dev.runbook4j.peers;

import dev.runbook4j.RunOptions;
import dev.runbook4j.Runbook;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.journal.jdbc.JdbcJournal;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.model.bpmn.Bpmn;

/**
 * Many runs waiting on a one-hour timer, each engine with its durable store: heap per waiting run
 * (used heap after a full GC, before and after starting them) and live threads.
 */
final class WaitingRuns {
  private WaitingRuns() {}

  /**
   * @param bytesPerRun heap per waiting run (used heap after a full GC, after minus before, over the runs)
   * @param resolution the smallest figure per run this measurement tells from nothing: the largest
   *     difference between back-to-back measurements with nothing done in between, over the runs
   */
  record Result(String engine, int runs, double bytesPerRun, double resolution, int threads) {
    /** Whether the figure is within the measurement's noise (the runs cost less than it can see). */
    boolean belowResolution() {
      return bytesPerRun < resolution;
    }

    /** Runs per GiB; for a figure within the noise, the lower bound the resolution gives. */
    double runsPerGiB() {
      return (1L << 30) / Math.max(1.0, belowResolution() ? resolution : bytesPerRun);
    }
  }

  /** The largest difference between back-to-back heap measurements with nothing done in between. */
  static long noise() {
    long worst = 0;
    long last = usedAfterGc();
    for (int i = 0; i < 3; i++) {
      long now = usedAfterGc();
      worst = Math.max(worst, Math.abs(now - last));
      last = now;
    }
    return worst;
  }

  static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  static int threads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  static Result runbook4j(Path dir, int n) throws Exception {
    Runbook<Void> rb = Runbook.builder("wait-an-hour")
        .step("start", s -> s.action(ctx -> 1).compensate((ctx, o) -> { }))
        .sleep("timer", Duration.ofHours(1))
        .build();
    try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("waiting.db"));
        RunbookEngine engine = RunbookEngine.builder().journal(journal).build()) {
      engine.start(rb, null, RunOptions.defaults().withRunId("warm-up"));  // not counted
      while (engine.load().parked() < 1) {
        Thread.sleep(50);
      }
      long noise = noise();
      long before = usedAfterGc();
      for (int i = 0; i < n; i++) {
        engine.start(rb, null, RunOptions.defaults());
      }
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (engine.load().parked() < n + 1 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      if (engine.load().parked() < n + 1) {
        throw new IllegalStateException("only " + engine.load() + " of " + n + " parked");
      }
      long after = usedAfterGc();
      return new Result("Runbook4j (SQLite, parked runs)", n, (after - before) / (double) n, noise / (double) n,
          threads());
    }
  }

  static Result camunda(Path dir, int n) {
    ProcessEngine engine = ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration()
        .setJdbcUrl("jdbc:h2:file:" + dir.resolve("camunda-waiting") + ";DB_CLOSE_DELAY=-1")
        .setJdbcUsername("sa").setJdbcPassword("").setJdbcDriver("org.h2.Driver")
        .setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP)
        .setHistory(ProcessEngineConfiguration.HISTORY_NONE)
        .setJobExecutorActivate(true)
        .buildProcessEngine();
    try {
      engine.getRepositoryService().createDeployment().addModelInstance("wait.bpmn",
          Bpmn.createExecutableProcess("wait").startEvent().intermediateCatchEvent("timer").timerWithDuration("PT1H")
              .endEvent().done()).deploy();
      engine.getRuntimeService().startProcessInstanceByKey("wait");  // not counted
      long noise = noise();
      long before = usedAfterGc();
      for (int i = 0; i < n; i++) {
        engine.getRuntimeService().startProcessInstanceByKey("wait");
      }
      long after = usedAfterGc();
      if (engine.getRuntimeService().createProcessInstanceQuery().count() != n + 1) {
        throw new IllegalStateException("not all waiting");
      }
      return new Result("Camunda 7.24 (H2 file, timer event, job executor on)", n, (after - before) / (double) n,
          noise / (double) n, threads());
    } finally {
      engine.close();
    }
  }

  @WorkflowInterface
  public interface Sleeper {
    @WorkflowMethod
    void sleep();
  }

  public static final class SleeperImpl implements Sleeper {
    @Override
    public void sleep() {
      Workflow.sleep(Duration.ofHours(1));
    }
  }

  static Result temporal(int n) {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      Worker w = env.newWorker("sleepers");
      w.registerWorkflowImplementationTypes(SleeperImpl.class);
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      long noise = noise();
      long before = usedAfterGc();
      for (int i = 0; i < n; i++) {
        Sleeper s = client.newWorkflowStub(Sleeper.class, WorkflowOptions.newBuilder().setTaskQueue("sleepers").build());
        WorkflowClient.start(s::sleep);
      }
      Thread.sleep(2000);  // let the worker run each workflow to its timer
      long after = usedAfterGc();
      return new Result("Temporal 1.38 test env (server and worker in process)", n, (after - before) / (double) n,
          noise / (double) n, threads());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      env.close();
    }
  }
}
