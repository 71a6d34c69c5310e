package dev.runbook4j.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.JournalException;
import dev.runbook4j.RunEvent;
import dev.runbook4j.spi.Journal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What durable (JDBC) journals add to the contract: reopening, the hash chain, schema versions. */
abstract class DurableJournalContractTestCase extends JournalContractTestCase {
  private JdbcJournal journal;

  /** A JDBC URL for a database of this test method (shared tables are fine: run ids are unique). */
  abstract String url();

  /** A JDBC URL of a database nobody else uses. */
  abstract String freshUrl() throws SQLException;

  abstract Connection connect(String url) throws SQLException;

  @Override
  Journal journal() {
    if (journal == null) {
      journal = JdbcJournal.open(url());
    }
    return journal;
  }

  @AfterEach
  void closeJournal() {
    if (journal != null) {
      journal.close();
    }
  }

  private String writeSample() {
    String runId = newRunId();
    sampleRun(runId).forEach(journal()::append);
    return runId;
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = connect(url()); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  @Test
  void eventsSurviveClosingAndReopening() {
    String runId = writeSample();
    journal.close();
    journal = null;
    try (JdbcJournal reopened = JdbcJournal.open(url())) {
      assertThat(reopened.read(runId)).containsExactlyElementsOf(sampleRun(runId));
      assertThat(reopened.verify(runId).ok()).isTrue();
      reopened.append(new RunEvent.StepStarted(runId, "after", 1, runId + ":after", T0));
      assertThat(reopened.verify(runId).events()).isEqualTo(11);
    }
  }

  @Test
  void anIntactRunVerifies() {
    String runId = writeSample();
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.ok()).isTrue();
    assertThat(v.events()).isEqualTo(10);
  }

  @Test
  void anEditedEventIsTheFirstBadOne() throws SQLException {
    String runId = writeSample();
    sql("UPDATE rb4j_events SET body = REPLACE(body, 'v42', 'v43') WHERE run_id = '" + runId + "' AND seq = 3");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(3L);
    assertThat(v.problem()).contains("event 3 of run " + runId + " does not match its hash: it was edited, or an"
        + " earlier event was");
  }

  @Test
  void aDeletedEventIsFound() throws SQLException {
    String runId = writeSample();
    sql("DELETE FROM rb4j_events WHERE run_id = '" + runId + "' AND seq = 5");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(5L);
    assertThat(v.problem().orElseThrow()).contains("event 5 of run " + runId + " is missing (the next one is 6)");
  }

  @Test
  void reorderedEventsAreFound() throws SQLException {
    String runId = writeSample();
    sql("UPDATE rb4j_events SET seq = 100 WHERE run_id = '" + runId + "' AND seq = 4");
    sql("UPDATE rb4j_events SET seq = 4 WHERE run_id = '" + runId + "' AND seq = 5");
    sql("UPDATE rb4j_events SET seq = 5 WHERE run_id = '" + runId + "' AND seq = 100");
    assertThat(((JdbcJournal) journal()).verify(runId).firstBadSeq()).contains(4L);
  }

  @Test
  void aTruncatedRunIsFound() throws SQLException {
    String runId = writeSample();
    sql("DELETE FROM rb4j_events WHERE run_id = '" + runId + "' AND seq >= 9");
    JournalVerification v = ((JdbcJournal) journal()).verify(runId);
    assertThat(v.firstBadSeq()).contains(9L);
    assertThat(v.problem().orElseThrow()).contains("ends at event 8 but its head records event 10");
  }

  @Test
  void aJournalWrittenByANewerSchemaIsRefusedNamingBothVersions() throws SQLException {
    String url = freshUrl();
    JdbcJournal.open(url).close();
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("UPDATE rb4j_schema SET version = 7");
    }
    assertThatThrownBy(() -> JdbcJournal.open(url)).isInstanceOf(JournalException.class)
        .hasMessageContaining("has schema version 7, written by a newer Runbook4j; this Runbook4j reads schema"
            + " version 1. Upgrade Runbook4j to use this journal");
  }

  @Test
  void aWriteThatFailsIsReportedWithTheRunAndTheEventAndRecordsNothing() {
    String runId = writeSample();
    JdbcJournal closed = JdbcJournal.open(url());
    closed.close();
    assertThatThrownBy(() -> closed.append(new RunEvent.StepStarted(runId, "x", 1, "k", T0)))
        .isInstanceOf(JournalException.class)
        .hasMessageContaining("could not record StepStarted of run " + runId);
    assertThat(journal().read(runId)).hasSize(10);
  }

  @Test
  void aStepOutputThatIsNotJsonIsRefusedBeforeAnythingIsWritten() {
    String runId = newRunId();
    Object notJson = new Object() {
      @SuppressWarnings("unused")
      public Object getSelf() {
        return this;
      }
    };
    assertThatThrownBy(() -> journal().append(new RunEvent.StepSucceeded(runId, "s", 1, notJson, T0)))
        .isInstanceOf(JournalException.class).hasMessageContaining("cannot be written as JSON");
    assertThat(journal().read(runId)).isEmpty();
    assertThat(List.copyOf(journal().runIds())).doesNotContain(runId);
  }

  static Connection plain(String url) throws SQLException {
    return DriverManager.getConnection(url);
  }
}
