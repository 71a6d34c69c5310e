package dev.runbook4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The embedding example, on a real PostgreSQL, as its main runs it. */
@Tag("slow")
class EmbeddedReleaseTests {
  @Test
  void theReleaseRunsOnAPostgresJournal() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().start()) {
      String url = postgres.getJdbcUrl("postgres", "postgres");
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      RunResult r = EmbeddedRelease.run(url, new PrintStream(buf, true, StandardCharsets.UTF_8));
      String out = buf.toString(StandardCharsets.UTF_8);

      assertThat(r.state()).as(out).isEqualTo(RunState.SUCCEEDED);
      assertThat(out).contains("Plan for runbook 'service-release'", "approving gate go-live as alice",
          "Result:   SUCCEEDED", "hash chain verifies");
      try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("select count(*) from rb4j_events where run_id = '" + r.runId() + "'")) {
        rs.next();
        assertThat(rs.getInt(1)).isGreaterThan(30);
      }
    }
  }
}
