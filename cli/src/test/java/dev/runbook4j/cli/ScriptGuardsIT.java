package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar in child processes: {@code validate} and {@code plan} of a script whose top-level
 * code never ends, recurses without end or fills the memory end with a {@code path:line: message},
 * exit 1, instead of hanging or a raw stack trace.
 */
class ScriptGuardsIT {
  @TempDir
  Path dir;

  private static final String RUNBOOK = "runbook('guarded') { step('a') { action { ctx -> 'a' }; readOnly() } }\n";

  @Test
  void anEndlessLoopIsStoppedAtTheTimeLimitNamingItsLine() throws Exception {
    // the loop comes first: the limit counts the compile too, which a busy machine makes slow
    Files.writeString(dir.resolve("endless.runbook.groovy"), "long n = 0\nwhile (true) { n++ }\n" + RUNBOOK);
    Cli cli = new Cli(dir);
    // a real child process: it runs for its 5 s limit in real time
    Cli.Result validate = cli.run("validate", "--time-limit", "5s", "endless.runbook.groovy");
    assertThat(validate.code()).as(validate.both()).isEqualTo(1);
    assertThat(validate.err()).contains("endless.runbook.groovy:2: still running after 5s while it defines the"
        + " runbook (at this line: an endless loop?)").doesNotContain("\tat ");
    Cli.Result plan = cli.run("plan", "--time-limit", "5s", "endless.runbook.groovy");
    assertThat(plan.code()).as(plan.both()).isEqualTo(1);
    assertThat(plan.err()).contains("endless.runbook.groovy:2: still running after 5s");
  }

  @Test
  void aStackOverflowAndOutOfMemoryArePlacedAtTheScriptsLine() throws Exception {
    Files.writeString(dir.resolve("deep.runbook.groovy"), "def down(n) {\n  down(n + 1)\n}\ndown(0)\n" + RUNBOOK);
    Files.writeString(dir.resolve("hungry.runbook.groovy"), RUNBOOK + "def all = []\nwhile (true) { all << new long[1 << 20] }\n");
    Cli cli = new Cli(dir);
    Cli.Result deep = cli.run("validate", "deep.runbook.groovy");
    assertThat(deep.code()).as(deep.both()).isEqualTo(1);
    assertThat(deep.err()).contains("deep.runbook.groovy:2: the script's code calls itself without end (a stack"
        + " overflow)").doesNotContain("\tat ");
    Cli.Result hungry = cli.start(Map.of("JAVA_TOOL_OPTIONS", "-Xmx96m"), "validate", "hungry.runbook.groovy").result();
    assertThat(hungry.code()).as(hungry.both()).isEqualTo(1);
    assertThat(hungry.err()).contains("hungry.runbook.groovy:3: the script's code used up the memory (")
        .doesNotContain("\tat ");
  }
}
