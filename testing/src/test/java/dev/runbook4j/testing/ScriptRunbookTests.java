package dev.runbook4j.testing;

import static dev.runbook4j.testing.RunbookAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults and exploration reach a runbook loaded from a Groovy script exactly as a Java-built one. */
class ScriptRunbookTests {
  static ScriptRunbook script;
  @TempDir
  Path tmp;

  @BeforeAll
  static void load() {
    script = RunbookScripts.load(Path.of("src/test/resources/scripts/files.runbook.groovy"));
  }

  private ScriptParams params(Path dir) {
    return script.params(Map.of("dir", dir.toString()));
  }

  private static List<String> files(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void faultsByNameReachAScriptsSteps() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("one"));
    try (RunbookTestKit k = RunbookTestKit.create()) {
      k.faults().failStep("h2").and().failStep("host").once();
      assertThatThrownBy(() -> k.run(script.runbook(), params(dir)))
          .hasMessageContaining("step 'h2', which runbook 'files' does not have");
      k.faults().clear().failStep("hosts[h2]/host");
      TestRun run = k.run(script.runbook(), params(dir));
      assertThat(run).rolledBack()
          .compensated("hosts[h2]/host", "hosts[h1]/host", "regions/us/write-us", "regions/eu/write-eu", "stage");
      assertThat(files(dir)).isEmpty();
    }
  }

  @Test
  void aWatchOfAScriptBreachesDuringItsBake() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("two"));
    try (RunbookTestKit k = RunbookTestKit.create()) {
      k.faults().breachWatch("alarm").during("soak");
      TestRun run = k.run(script.runbook(), params(dir));
      assertThat(run).rolledBack().failedWith("alarm");
      assertThat(files(dir)).isEmpty();
    }
  }

  @Test
  void everyFailurePathOfTheScriptHolds() {
    ExplorationReport report = FailureExplorer.of(() -> {
      Path dir;
      try {
        dir = Files.createTempDirectory(tmp, "path");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return Subject.of(script.runbook(), params(dir))
          .whenRolledBack("no file is left", () -> files(dir).isEmpty())
          .whenSucceeded("every file is written", () -> files(dir).equals(List.of("eu", "h1", "h2", "stage", "us")));
    }).explore();

    report.assertAllHold();
    assertThat(report.paths().stream().map(p -> p.point().name()))
        .contains("fail 'hosts[h1]/host' → compensates hosts[h1]/host, regions/us/write-us, regions/eu/write-eu, stage")
        .contains("breach watch 'alarm' during 'soak' → compensates hosts[h2]/host, hosts[h1]/host, regions/us/write-us,"
            + " regions/eu/write-eu, stage")
        .contains("fail 'notify' → compensates hosts[h2]/host, hosts[h1]/host, regions/us/write-us, regions/eu/write-eu, stage");
  }
}
