package dev.runbook4j.peers;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Saga;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The saga on the Temporal Java SDK's in-process test environment: a workflow that calls one
 * activity per step (local activities, or regular ones through the test server) and registers its
 * undo with {@link Saga}; the failing step's failure makes the workflow compensate.
 */
final class TemporalPeer implements Peer {
  static final List<Integer> UNDONE = Collections.synchronizedList(new ArrayList<>());
  static final String QUEUE = "saga";
  private final String name;
  private final boolean local;
  private final TestWorkflowEnvironment env;
  private final WorkflowClient client;

  @ActivityInterface
  public interface Steps {
    void step(int n, int failAt);

    void undo(int n);
  }

  public static final class StepsImpl implements Steps {
    @Override
    public void step(int n, int failAt) {
      if (n == failAt) {
        throw new IllegalStateException("step " + n + " fails");
      }
    }

    @Override
    public void undo(int n) {
      UNDONE.add(n);
    }
  }

  @WorkflowInterface
  public interface SagaWorkflow {
    @WorkflowMethod
    void run(int steps, int failAt, boolean local);
  }

  public static final class SagaWorkflowImpl implements SagaWorkflow {
    @Override
    public void run(int steps, int failAt, boolean local) {
      RetryOptions once = RetryOptions.newBuilder().setMaximumAttempts(1).build();
      Steps s = local
          ? Workflow.newLocalActivityStub(Steps.class, LocalActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(10)).setRetryOptions(once).build())
          : Workflow.newActivityStub(Steps.class, ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(10)).setRetryOptions(once).build());
      Saga saga = new Saga(new Saga.Options.Builder().setParallelCompensation(false).build());
      try {
        for (int i = 1; i <= steps; i++) {
          s.step(i, failAt);
          int n = i;
          saga.addCompensation(() -> s.undo(n));
        }
      } catch (ActivityFailure e) {
        saga.compensate();
      }
    }
  }

  TemporalPeer(String name, boolean local) {
    this.name = name;
    this.local = local;
    this.env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(SagaWorkflowImpl.class);
    worker.registerActivitiesImplementations(new StepsImpl());
    env.start();
    this.client = env.getWorkflowClient();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<Integer> saga(int steps, int failAt) {
    UNDONE.clear();
    SagaWorkflow wf = client.newWorkflowStub(SagaWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE)
        .build());
    wf.run(steps, failAt, local);
    return List.copyOf(UNDONE);
  }

  @Override
  public void close() {
    env.close();
  }
}
