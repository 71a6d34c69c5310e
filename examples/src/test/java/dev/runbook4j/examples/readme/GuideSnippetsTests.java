package dev.runbook4j.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runbook4j.RunResult;
import dev.runbook4j.RunState;
import dev.runbook4j.RunbookEngine;
import dev.runbook4j.dsl.RunbookScripts;
import dev.runbook4j.dsl.ScriptParams;
import dev.runbook4j.dsl.ScriptRunbook;
import dev.runbook4j.testing.ExplorationReport;
import dev.runbook4j.testing.FailureExplorer;
import dev.runbook4j.testing.RunbookTest;
import dev.runbook4j.testing.ScriptSubjects;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guide's Groovy scripts and the Java that loads them, run on virtual time. */
@RunbookTest
class GuideSnippetsTests {
  static final Path SCRIPTS = Path.of("src/test/resources/readme");

  final WebTier web = new WebTier();
  final WebTier.Registry registry = web.registry;
  final WebTier.Alarms alarms = web.alarms;
  final WebTier.Lb lb = web.lb;
  final WebTier.Router router = web.router;
  final WebTier.Hosts hosts = web.hosts;

  RunResult loadAndRun(RunbookEngine engine, Path file) {
    // tag::load-script[]
    ScriptRunbook script = RunbookScripts.load(file, Map.of("registry", registry, "alarms", alarms, "lb", lb,
        "router", router, "hosts", hosts));                 // what the script's closures call
    RunResult r = engine.run(script.runbook(), script.params(Map.of("version", "1.4.2", "env", "prod")));
    // end::load-script[]
    return r;
  }

  @Test
  void theDeployWebScriptRunsInWavesAfterTwoApprovals(RunbookEngine engine) {
    RunResult parked = loadAndRun(engine, SCRIPTS.resolve("deploy-web.runbook.groovy"));
    assertThat(parked.isParked()).isTrue();
    engine.approve(parked.runId(), "approval", "alice");
    engine.approve(parked.runId(), "approval", "bob");
    RunResult r = engine.handle(parked.runId()).await();
    assertThat(r.state()).as("%s", engine.history(r.runId())).isEqualTo(RunState.SUCCEEDED);
    assertThat(web.log).startsWith("publish 1.4.2", "shift all 10")
        .contains("shift eu 100", "shift us 100").endsWith("restart h1", "restart h2");
  }

  @Test
  void theFilesScriptHoldsOnEveryFailurePath(@TempDir Path dir) throws Exception {
    ScriptRunbook script = RunbookScripts.load(SCRIPTS.resolve("files.runbook.groovy"));
    ScriptParams params = script.params(Map.of("dir", dir.toString()));
    // the paths share one real directory: a script's subject runs them one at a time, as 'runbook4j test' does
    ExplorationReport report = FailureExplorer.of(() -> ScriptSubjects.of(script, params)).explore();
    assertThat(report.holds()).as(report.toText()).isTrue();
    assertThat(report.paths()).hasSizeGreaterThan(5);
    try (var files = Files.list(dir)) {
      assertThat(files).hasSizeLessThanOrEqualTo(1);
    }
  }
}
