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

  private Path freshDir() {
    try {
      return Files.createTempDirectory(tmp, "path");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void everyFailurePathOfTheScriptHoldsWithTheScriptsOwnInvariants() {
    assertThat(script.invariants()).extracting(dev.runbook4j.dsl.ScriptInvariant::description)
        .containsExactly("no file is left after a rollback", "every file is written");
    ExplorationReport report = FailureExplorer.of(() -> ScriptSubjects.of(script, params(freshDir()))).explore();

    report.assertAllHold();
    // the two regions run in parallel: either may have started first
    List<String> names = report.paths().stream().map(p -> p.point().name()).toList();
    String regions = "regions/(eu/write-eu, regions/us/write-us|us/write-us, regions/eu/write-eu)";
    assertThat(names).anyMatch(n -> n.matches("fail 'hosts\\[h1]/host' → compensates hosts\\[h1]/host, " + regions
        + ", stage"));
    assertThat(names).anyMatch(n -> n.matches("breach watch 'alarm' during 'soak' → compensates hosts\\[h2]/host,"
        + " hosts\\[h1]/host, " + regions + ", stage"));
    assertThat(names).anyMatch(n -> n.matches("fail 'notify' → compensates hosts\\[h2]/host, hosts\\[h1]/host, "
        + regions + ", stage"));
  }

  @Test
  void aScriptWhoseUndoForgetsItsFileFailsItsInvariantAtEveryRollbackPastIt() {
    ScriptRunbook forgetful = RunbookScripts.load(Path.of("src/test/resources/scripts/forgetful-files.runbook.groovy"));
    ExplorationReport report = FailureExplorer.of(() -> ScriptSubjects.of(forgetful,
        forgetful.params(Map.of("dir", freshDir().toString())))).crashes(false).compensationFailures(false).explore();

    assertThat(report.failures()).isNotEmpty().allSatisfy(f -> assertThat(f.problems())
        .containsExactly("invariant 'no file is left after a rollback' does not hold: it does not"));
    List<String> failing = report.failures().stream().map(f -> f.point().name()).toList();
    assertThat(failing).anyMatch(n -> n.startsWith("fail 'regions/us/write-us' by timeout → compensates"));
    assertThat(failing).anyMatch(n -> n.startsWith("fail 'hosts[h1]/host' → compensates hosts[h1]/host"));
    assertThat(failing).doesNotContain("fail 'stage' → compensates stage", "no fault → succeeds");
  }
}
