package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal on a filesystem that fills up while a run waits (a 4 MiB tmpfs mounted by the test;
 * skipped, saying why, where this user may not mount one): the run stops before the step whose
 * intent could not be written, says so where it is watched, tries again with growing delays, and
 * goes on by itself once space returns — every action called once.
 */
class FullDiskIT {
  @TempDir
  Path dir;

  private Path mount;
  private boolean mounted;

  @BeforeEach
  void mountTmpfs() throws Exception {
    mount = Files.createDirectory(dir.resolve("small"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String said = new String(p.getInputStream().readAllBytes());
    boolean done = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(done, () -> "a tmpfs cannot be mounted here (it needs root or CAP_SYS_ADMIN): " + said.strip());
    mounted = true;
  }

  @AfterEach
  void unmount() throws Exception {
    if (mounted) {
      new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private String journal() {
    return "jdbc:sqlite:" + mount.resolve("journal.db");
  }

  private List<String> effects() throws IOException {
    Path f = dir.resolve("effects");
    return Files.exists(f) ? Files.readAllLines(f) : List.of();
  }

  @Test
  void aRunStalledByAFullDiskSaysSoAndGoesOnByItselfOnceSpaceReturnsCallingEachActionOnce() throws Exception {
    Files.writeString(dir.resolve("hold.runbook.groovy"), """
        runbook('hold') {
          parameters { string 'dir', required: true }
          step('a') {
            action { ctx -> new File(params.dir, 'effects').append("do:a\\n"); 'a' }
            compensate { ctx, out -> new File(params.dir, 'effects').append("undo:a\\n") }
          }
          wait('hold', '3s')
          step('b') {
            action { ctx -> new File(params.dir, 'effects').append("do:b\\n"); 'b' }
            compensate { ctx, out -> new File(params.dir, 'effects').append("undo:b\\n") }
          }
        }
        """);
    Cli cli = new Cli(dir);
    Cli.Running run = cli.start("run", "hold.runbook.groovy", "-p", "dir=" + dir, "--run-id", "full",
        "--journal", journal());
    awaitOut(run, "hold: 3s");

    // the journal's filesystem fills up while the run waits (a real child process: it goes on meanwhile)
    Path filler = mount.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[16 * 1024];
      while (true) {
        out.write(block);
        out.flush();
      }
    } catch (IOException full) {
      assertThat(full.getMessage()).contains("No space left on device");
    }

    // the wait's end cannot be recorded: the run stops there, says so, and tries again (1 s, then 2 s)
    awaitOut(run, "run full is paused: the journal cannot record its next event");
    awaitOut(run, "still paused");
    assertThat(effects()).as("step b's intent was not recorded: b is not called").containsExactly("do:a");

    Files.delete(filler);  // space returns
    Cli.Result r = run.result();
    assertThat(r.code()).as(r.both()).isZero();
    assertThat(r.out()).contains("run full goes on: the journal records events again", "step b done",
        "ended SUCCEEDED");
    assertThat(effects()).containsExactly("do:a", "do:b");  // nothing repeats

    Cli.Result h = cli.run("history", "full", "--json", "--journal", journal());
    assertThat(h.code()).as(h.both()).isZero();
    JsonNode events = new ObjectMapper().readTree(h.out());
    List<String> types = events.findValuesAsText("type");
    assertThat(types.stream().filter("StepStarted"::equals).count()).isEqualTo(2);
    assertThat(types.stream().filter("WaitFinished"::equals).count()).isEqualTo(1);
    Cli.Result verify = cli.run("status", "full", "--journal", journal());
    assertThat(verify.out()).contains("SUCCEEDED");
  }

  /** Waits until the command has printed {@code text} (a real child process: real time, polled). */
  private static void awaitOut(Cli.Running run, String text) throws Exception {
    for (int i = 0; i < 600; i++) {
      if (run.outSoFar().contains(text)) {
        return;
      }
      if (!run.process.isAlive()) {
        break;
      }
      Thread.sleep(50);  // a real child process: real time
    }
    Cli.Result r = run.process.isAlive() ? null : run.result();
    throw new AssertionError("never printed '" + text + "': " + (r != null ? r.both() : run.outSoFar()));
  }
}
