package dev.runbook4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real shaded jar in child processes, each in {@code dir} (its journal, script index and
 * cache), with its output in files: what the integration tests drive.
 */
final class Cli {
  static final String JAR = System.getProperty("runbook4j.jar", "target/runbook4j.jar");

  record Result(int code, String out, String err) {
    /** The output and the errors, for assertion messages. */
    String both() {
      return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /** A command started and not yet waited for. */
  static final class Running {
    final Process process;
    private final Path out;
    private final Path err;
    private final List<String> args;

    Running(Process process, Path out, Path err, List<String> args) {
      this.process = process;
      this.out = out;
      this.err = err;
      this.args = args;
    }

    /** Waits for it (a real child process: real time, at most two minutes). */
    Result result() throws Exception {
      assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("finished: %s", args).isTrue();
      return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    String outSoFar() throws IOException {
      return Files.readString(out);
    }
  }

  private final Path dir;

  Cli(Path dir) {
    this.dir = dir;
  }

  Running start(String... args) throws IOException {
    return start(java.util.Map.of(), args);
  }

  /** {@link #start(String...)} with these environment variables set too. */
  Running start(java.util.Map<String, String> env, String... args) throws IOException {
    Path out = Files.createTempFile(dir, "stdout", ".txt");
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-jar", Path.of(JAR).toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    return new Running(p, out, err, List.of(args));
  }

  Result run(String... args) throws Exception {
    return start(args).result();
  }

  /** {@code status RUN_ID --json}, or null while the run is not in the journal. */
  JsonNode status(String runId) throws Exception {
    Result s = run("status", runId, "--json");
    return s.code() == 0 ? new ObjectMapper().readTree(s.out()) : null;
  }

  /** Waits until the run's state is {@code state} (a real child process: real time, polled). */
  void awaitState(String runId, String state) throws Exception {
    for (int i = 0; i < 300; i++) {
      JsonNode s = status(runId);
      if (s != null && s.get("state").asText().equals(state)) {
        return;
      }
      Thread.sleep(100);  // a real child process: real time
    }
    throw new AssertionError("run " + runId + " never reached " + state + ": " + status(runId));
  }

  /** Waits until the run awaits approval at {@code gate} (a real child process: real time, polled). */
  void awaitGate(String runId, String gate) throws Exception {
    for (int i = 0; i < 300; i++) {
      JsonNode s = status(runId);
      if (s != null && s.get("awaitingApproval").toString().contains("\"" + gate + "\"")) {
        return;
      }
      Thread.sleep(100);  // a real child process: real time
    }
    throw new AssertionError("run " + runId + " never awaited approval at " + gate + ": " + status(runId));
  }

  /** The types of the run's journaled events, in order. */
  List<String> eventTypes(String runId) throws Exception {
    return events(runId).findValuesAsText("type");
  }

  /** The run's journaled events, in order: one JSON array, each with its {@code type}. */
  JsonNode events(String runId) throws Exception {
    Result h = run("history", runId, "--json");
    assertThat(h.code()).as(h.both()).isZero();
    return new ObjectMapper().readTree(h.out());
  }
}
