package dev.runbook4j.journal;

import dev.runbook4j.journal.jdbc.JdbcJournal;
import dev.runbook4j.journal.jdbc.JournalVerification;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteJournalTests extends DurableJournalContractTestCase {
  @TempDir
  Path dir;

  @Override
  String url() {
    return "jdbc:sqlite:" + dir.resolve("journal.db");
  }

  @Override
  String freshUrl() {
    return "jdbc:sqlite:" + dir.resolve(UUID.randomUUID() + ".db");
  }

  @Override
  Connection connect(String url) throws SQLException {
    return DriverManager.getConnection(url);
  }

  @Test
  void theFileIsInWalModeWithFullSync() throws SQLException {
    try (JdbcJournal journal = JdbcJournal.sqlite(dir.resolve("sub/dir/journal.db"))) {
      assertThat(journal.dialect()).isEqualTo(JdbcJournal.Dialect.SQLITE);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("sub/dir/journal.db"));
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
  }
}
