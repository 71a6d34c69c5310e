package dev.runbook4j.peers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.bpm.model.bpmn.builder.AbstractFlowNodeBuilder;
import org.camunda.bpm.model.bpmn.builder.ProcessBuilder;

/**
 * The saga as a Camunda 7 BPMN process, built with the fluent model API: a chain of service tasks,
 * each with a compensation handler; the failing task throws a BPMN error caught by a boundary event
 * that throws a compensation event, which runs the handlers of the completed tasks.
 */
final class CamundaPeer implements Peer {
  static final List<Integer> UNDONE = Collections.synchronizedList(new ArrayList<>());
  private final String name;
  private final ProcessEngine engine;
  static volatile java.util.concurrent.CountDownLatch done;
  private final java.util.Set<Integer> deployed = new java.util.HashSet<>();
  private final boolean transactionPerStep;
  private final boolean jobExecutor;
  private final int stepMillis;

  /**
   * @param transactionPerStep each step an asynchronous continuation (its own transaction), as a
   *     durable Camunda process is usually modelled; else the whole run is one transaction
   * @param jobExecutor with a transaction per step: the job executor runs the steps' jobs (it is
   *     told of each new job as its transaction commits, and runs the next job of the same process
   *     instance on the same thread); else they are run here, job by job, with the management service
   * @param stepMillis how long each step takes (0: no time; 2: no two steps end in the same millisecond)
   */
  CamundaPeer(String name, String jdbcUrl, boolean transactionPerStep, boolean jobExecutor, int stepMillis) {
    this.name = name;
    this.transactionPerStep = transactionPerStep;
    this.jobExecutor = jobExecutor;
    this.stepMillis = stepMillis;
    this.engine = ProcessEngineConfiguration.createStandaloneProcessEngineConfiguration()
        .setJdbcUrl(jdbcUrl).setJdbcUsername("sa").setJdbcPassword("").setJdbcDriver("org.h2.Driver")
        .setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP)
        .setHistory(ProcessEngineConfiguration.HISTORY_NONE)
        .setJobExecutorActivate(jobExecutor)
        .buildProcessEngine();
  }

  CamundaPeer(String name, String jdbcUrl, boolean transactionPerStep, int stepMillis) {
    this(name, jdbcUrl, transactionPerStep, false, stepMillis);
  }

  CamundaPeer(String name, String jdbcUrl) {
    this(name, jdbcUrl, false, false, 0);
  }

  @Override
  public String name() {
    return name;
  }

  /** Steps s1..sN, each compensated by u1..uN; an error boundary on s{failAt} throws compensation. */
  static BpmnModelInstance model(String key, int steps, int failAt, boolean async) {
    ProcessBuilder p = Bpmn.createExecutableProcess(key);
    AbstractFlowNodeBuilder<?, ?> b = p.startEvent("start");
    for (int i = 1; i <= steps; i++) {
      org.camunda.bpm.model.bpmn.builder.ServiceTaskBuilder task = b.serviceTask("s" + i)
          .camundaClass(Do.class.getName());
      if (async) {
        task = task.camundaAsyncBefore();
      }
      b = task.boundaryEvent("c" + i).compensateEventDefinition().compensateEventDefinitionDone()
          .compensationStart().serviceTask("u" + i).camundaClass(Undo.class.getName()).compensationDone();
    }
    b.endEvent("end").camundaExecutionListenerClass("end", Done.class.getName());
    BpmnModelInstance m = b.done();
    if (failAt > 0) {
      // the error path: an error boundary on the failing task, then "compensate everything done"
      org.camunda.bpm.model.bpmn.builder.ServiceTaskBuilder failing =
          ((org.camunda.bpm.model.bpmn.instance.ServiceTask) m.getModelElementById("s" + failAt)).builder();
      failing.boundaryEvent("error").error("fail")
          .intermediateThrowEvent("compensate").compensateEventDefinition().compensateEventDefinitionDone()
          .endEvent("rolled-back").camundaExecutionListenerClass("end", Done.class.getName());
    }
    return m;
  }

  private String deploy(int steps, int failAt) {
    String key = "saga_" + steps + "_" + failAt;
    if (deployed.add(steps * 1000 + failAt)) {
      engine.getRepositoryService().createDeployment().addModelInstance(key + ".bpmn",
          model(key, steps, failAt, transactionPerStep)).deploy();
    }
    return key;
  }

  @Override
  public List<Integer> saga(int steps, int failAt) {
    String key = deploy(steps, failAt);
    UNDONE.clear();
    done = new java.util.concurrent.CountDownLatch(1);
    String id = engine.getRuntimeService()
        .startProcessInstanceByKey(key, Map.of("failAt", failAt, "stepMillis", stepMillis)).getId();
    // each step's transaction, run here one after the other (as the job executor would, without its polling)
    while (transactionPerStep && !jobExecutor) {
      List<org.camunda.bpm.engine.runtime.Job> jobs = engine.getManagementService().createJobQuery()
          .processInstanceId(id).list();
      if (jobs.isEmpty()) {
        break;
      }
      for (org.camunda.bpm.engine.runtime.Job j : jobs) {
        engine.getManagementService().executeJob(j.getId());
      }
    }
    try {
      if (!done.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + ": the process did not end within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return List.copyOf(UNDONE);
  }

  @Override
  public void close() {
    engine.close();
  }

  /** A step: fails with a BPMN error when it is the failing one. */
  public static final class Do implements JavaDelegate {
    @Override
    public void execute(DelegateExecution e) {
      int n = Integer.parseInt(e.getCurrentActivityId().substring(1));
      int millis = ((Number) e.getVariable("stepMillis")).intValue();
      if (millis > 0) {
        try {
          Thread.sleep(millis);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
        }
      }
      if (((Number) e.getVariable("failAt")).intValue() == n) {
        throw new BpmnError("fail", "step " + n + " fails");
      }
    }
  }

  /** A compensation handler: records which step it undoes. */
  public static final class Undo implements JavaDelegate {
    @Override
    public void execute(DelegateExecution e) {
      UNDONE.add(Integer.parseInt(e.getCurrentActivityId().substring(1)));
    }
  }

  /** Ends a run: the end events' listener. */
  public static final class Done implements org.camunda.bpm.engine.delegate.ExecutionListener {
    @Override
    public void notify(DelegateExecution e) {
      done.countDown();
    }
  }
}
