package consumer;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;

import dev.runbook4j.Runbook;
import dev.runbook4j.testing.RunbookTestKit;
import dev.runbook4j.testing.TestRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A new user's first test, against the published jars only: a runbook whose second step fails rolls back. */
class FirstRunbookTest {
  @Test
  void aFailingStepUndoesTheStartedOnesInReverse() {
    List<String> done = new ArrayList<>();
    Runbook<Void> rb = Runbook.builder("first")
        .step("stage", s -> s.action(ctx -> done.add("stage")).compensate((ctx, out) -> done.add("unstage")))
        .step("ship", s -> s.action(ctx -> done.add("ship")).compensate((ctx, out) -> done.add("unship")))
        .build();
    try (RunbookTestKit kit = RunbookTestKit.create()) {
      kit.faults().failStep("ship").always();
      TestRun run = kit.run(rb, null);
      assertThat(run).rolledBack().compensated("ship", "stage").inOrder();
    }
  }
}
