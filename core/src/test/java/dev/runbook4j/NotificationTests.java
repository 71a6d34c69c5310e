package dev.runbook4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.journal.InMemoryJournal;
import dev.runbook4j.spi.Notification;
import dev.runbook4j.spi.NotificationException;
import dev.runbook4j.spi.VirtualTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Run hooks and notify steps: sent once, journaled, retried on the engine's clock, secrets masked. */
class NotificationTests {
  record Params(String version, Secret token) {}

  static final Params PARAMS = new Params("1.4.2", Secret.of("tok-s3cr3t-9"));

  private static Runbook<Params> deploy(boolean fail) {
    return Runbook.builder("deploy", Params.class)
        .on(RunHook.STARTED, "chat", ctx -> "deploying " + ctx.params().version())
        .on(RunHook.SUCCEEDED, "chat", ctx -> "deployed " + ctx.params().version() + " with " + ctx.params().token().reveal())
        .on(RunHook.ROLLED_BACK, "oncall", ctx -> "rolled back " + ctx.params().version())
        .step("push", s -> s.action(ctx -> {
          if (fail) {
            throw new IllegalStateException("registry refused " + ctx.params().token().reveal());
          }
          return "pushed";
        }).compensate((ctx, out) -> { }))
        .notify("tell", "chat", ctx -> "pushed " + ctx.output("push"))
        .build();
  }

  private static RunbookEngine engine(VirtualTime time, InMemoryJournal journal, dev.runbook4j.spi.Notifier n) {
    return RunbookEngine.builder().virtualTime(time).journal(journal).notifier("chat", n).notifier("oncall", n).build();
  }

  @Test
  void hooksAndNotifyStepsSendTheirMessagesOnceWithSecretsMasked() {
    List<Notification> got = new CopyOnWriteArrayList<>();
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = engine(VirtualTime.create(), journal, got::add)) {
      RunResult r = engine.run(deploy(false), PARAMS);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(got).extracting(Notification::event, Notification::channel, Notification::text).containsExactly(
          org.assertj.core.groups.Tuple.tuple("started", "chat", "deploying 1.4.2"),
          org.assertj.core.groups.Tuple.tuple("notify", "chat", "pushed pushed"),
          org.assertj.core.groups.Tuple.tuple("succeeded", "chat", "deployed 1.4.2 with ***"));
      assertThat(got.get(2).details()).containsEntry("state", "SUCCEEDED").containsKey("summary");
      assertThat(got.get(1).details()).containsEntry("step", "tell");
      assertThat(got).allSatisfy(n -> assertThat(n.toString()).doesNotContain("tok-s3cr3t-9"));
      assertThat(r.outputs()).containsEntry("tell", "pushed pushed");
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.NotificationSent.class::isInstance)
          .map(e -> ((RunEvent.NotificationSent) e).event()).containsExactly("started", "succeeded");
      assertThat(got.get(0).idempotencyKey()).isEqualTo(r.runId() + ":started:chat:0");
    }
  }

  @Test
  void aRollbackSendsItsMessageWithTheFailureMasked() {
    List<Notification> got = new CopyOnWriteArrayList<>();
    try (RunbookEngine engine = engine(VirtualTime.create(), new InMemoryJournal(), got::add)) {
      RunResult r = engine.run(deploy(true), PARAMS);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      Notification n = got.get(got.size() - 1);
      assertThat(n.event()).isEqualTo("rolledBack");
      assertThat(n.channel()).isEqualTo("oncall");
      assertThat(n.details().get("failure")).contains("registry refused ***").doesNotContain("tok-s3cr3t-9");
    }
  }

  @Test
  void anApprovalGateSendsItsMessageOnceAndAResumedRunDoesNotSendItsStartAgain() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    List<Notification> got = new CopyOnWriteArrayList<>();
    Runbook<Void> rb = Runbook.builder("approve")
        .on(RunHook.STARTED, "chat", ctx -> "started")
        .on(RunHook.AWAITING_APPROVAL, "chat", ctx -> "approve please")
        .gate("go", g -> g.approval(a -> a.approvers("alice").timeout(Duration.ofHours(4))))
        .step("after", s -> s.action(ctx -> "done").readOnly())
        .build();
    try (RunbookEngine first = engine(time, journal, got::add)) {
      first.start(rb, null, RunOptions.defaults().withRunId("ap").withRequester("dave")).await();
    }
    try (RunbookEngine second = engine(time, journal, got::add)) {
      second.resume("ap", rb);
      time.runUntilIdle();  // the resumed run reaches its gate again (on a worker) before it is approved
      second.approve("ap", "go", "alice");
      assertThat(second.handle("ap").await().state()).isEqualTo(RunState.SUCCEEDED);
    }
    assertThat(got).extracting(Notification::event).containsExactly("started", "awaitingApproval");
    assertThat(got.get(1).details()).containsEntry("gate", "go").containsEntry("state", "AWAITING_APPROVAL");
  }

  @Test
  void aMessageThatDoesNotGetThroughIsTriedAgainOnTheEnginesClock() {
    VirtualTime time = VirtualTime.create();
    InMemoryJournal journal = new InMemoryJournal();
    AtomicInteger calls = new AtomicInteger();
    List<Instant> when = new CopyOnWriteArrayList<>();
    dev.runbook4j.spi.Notifier flaky = n -> {
      when.add(time.now());
      if (calls.incrementAndGet() < 3) {
        throw new NotificationException("the chat answered 503", true, null);
      }
    };
    Runbook<Void> rb = Runbook.builder("flaky")
        .on(RunHook.SUCCEEDED, "chat", ctx -> "done")
        .step("a", s -> s.action(ctx -> 1).readOnly())
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(time).journal(journal).notifier("chat", flaky)
        .build()) {
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(calls).hasValue(3);
      assertThat(Duration.between(when.get(0), when.get(2))).isEqualTo(Duration.ofSeconds(3));  // 1 s, then 2 s
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.NotificationSent.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((RunEvent.NotificationSent) e).attempts()).isEqualTo(3));
    }
  }

  @Test
  void aMessageThatCannotGetThroughIsJournaledAndTheRunEndsAsItWould() {
    InMemoryJournal journal = new InMemoryJournal();
    AtomicInteger calls = new AtomicInteger();
    dev.runbook4j.spi.Notifier refused = n -> {
      calls.incrementAndGet();
      throw new NotificationException("the chat answered 403", false, null);
    };
    Runbook<Void> rb = Runbook.builder("refused")
        .on(RunHook.SUCCEEDED, "chat", ctx -> "done")
        .step("a", s -> s.action(ctx -> 1).readOnly())
        .notify("tell", "chat", ctx -> "a done")
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal)
        .notifier("chat", refused).build()) {
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.SUCCEEDED);
      assertThat(calls).hasValue(2);  // not worth another try: once for the step, once for the hook
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.NotificationFailed.class::isInstance).singleElement()
          .satisfies(e -> assertThat(((RunEvent.NotificationFailed) e).error()).contains("answered 403"));
      assertThat(journal.read(r.runId())).filteredOn(RunEvent.StepFailureIgnored.class::isInstance).hasSize(1);
    }
  }

  @Test
  void aNotifyStepThatMustGetThroughRollsBackWhenItDoesNot() {
    Runbook<Void> rb = Runbook.builder("must")
        .step("a", s -> s.action(ctx -> 1).compensate((ctx, o) -> { }))
        .notify("page", "oncall", ctx -> "about to cut over", s -> s.onFailure(OnFailure.ROLLBACK))
        .build();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).notifier("oncall", n -> {
      throw new NotificationException("down", false, null);
    }).build()) {
      RunResult r = engine.run(rb, null);
      assertThat(r.state()).isEqualTo(RunState.ROLLED_BACK);
      assertThat(r.compensated()).containsExactly("a");
    }
  }

  @Test
  void aRunbookThatSendsToAChannelTheEngineLacksIsRefusedBeforeItStarts() {
    InMemoryJournal journal = new InMemoryJournal();
    try (RunbookEngine engine = RunbookEngine.builder().virtualTime(VirtualTime.create()).journal(journal)
        .notifier("chat", n -> { }).build()) {
      assertThatThrownBy(() -> engine.run(deploy(false), PARAMS))
          .isInstanceOf(RunbookDefinitionException.class)
          .hasMessageContaining("it sends messages to channel 'oncall', and this engine has no notifier of that name"
              + " (it has: chat)");
      assertThat(journal.runIds()).isEmpty();
    }
  }

  @Test
  void thePlanShowsTheMessagesAndTheNotifySteps() {
    Plan plan = Plan.of(deploy(false), PARAMS);
    assertThat(plan.toText()).contains("messages: started → chat, succeeded → chat, rolledBack → oncall",
        "step tell  [notify: chat; undo: read-only;");
    assertThat(plan.hooks()).hasSize(3);
  }
}
