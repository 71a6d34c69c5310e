package dev.runbook4j.journal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunEvent;
import dev.runbook4j.RunState;
import dev.runbook4j.spi.Journal;
import org.junit.jupiter.api.Test;

class InMemoryJournalTests extends JournalContractTestCase {
  private final InMemoryJournal journal = new InMemoryJournal();

  @Override
  Journal journal() {
    return journal;
  }

  @Test
  void withRetentionKeepsOnlyTheLastEndedRunsAndEveryRunInFlight() {
    InMemoryJournal bounded = InMemoryJournal.withRetention(2);
    String inFlight = newRunId();
    bounded.append(sampleRun(inFlight).get(0));
    String[] ended = {newRunId(), newRunId(), newRunId()};
    for (String id : ended) {
      bounded.append(sampleRun(id).get(0));
      bounded.append(new RunEvent.RunFinished(id, RunState.SUCCEEDED, "ok", T0));
    }
    assertThat(bounded.runIds()).containsExactly(inFlight, ended[1], ended[2]);
  }
}
