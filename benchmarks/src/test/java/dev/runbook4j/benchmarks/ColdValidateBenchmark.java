package dev.runbook4j.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole-process {@code runbook4j validate} of a 100-step script on a cold JVM, median of 5, beside
 * the floor measured in the same run: the same jar printing its version (JVM start and the command
 * line, no script). Needs the shaded jar: {@code ./mvnw -q -pl cli -am package -DskipTests}.
 *
 * <pre>./mvnw -q install -DskipTests && ./mvnw -q -pl benchmarks exec:java -Dbenchmark.main=dev.runbook4j.benchmarks.ColdValidateBenchmark</pre>
 */
public final class ColdValidateBenchmark {
  private ColdValidateBenchmark() {}

  static double medianSeconds(List<String> cmd, int n) throws Exception {
    double[] t = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      int code = p.waitFor();
      t[i] = (System.nanoTime() - t0) / 1e9;
      if (code != 0) {
        throw new IllegalStateException(cmd + " exited " + code);
      }
    }
    java.util.Arrays.sort(t);
    return t[n / 2];
  }

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0]
        : Files.exists(Path.of("cli/target/runbook4j.jar")) ? "cli/target/runbook4j.jar" : "../cli/target/runbook4j.jar")
        .toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: ./mvnw -q -pl cli -am package -DskipTests");
    }
    Path script = Files.createTempFile("hundred", ".runbook.groovy");
    Files.writeString(script, DslLoadBenchmark.script(100));
    Path parens = Files.createTempFile("hundred-parens", ".runbook.groovy");
    Files.writeString(parens, DslLoadBenchmark.script(100).replace("retry maxAttempts: 3, backoff: '1s'",
        "retry(maxAttempts: 3, backoff: '1s')"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> base = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", jar.toString()));
    List<String> version = new ArrayList<>(base);
    version.add("--version");
    List<String> validate = new ArrayList<>(base);
    validate.addAll(List.of("validate", script.toString()));
    List<String> validateParens = new ArrayList<>(base);
    validateParens.addAll(List.of("validate", parens.toString()));
    double floor = medianSeconds(version, 5);
    double cold = medianSeconds(validate, 5);
    double coldParens = medianSeconds(validateParens, 5);
    System.out.printf("cold validate of a 100-step script: %.2f s (target < 1.5 s), %.1fx the JVM + command line"
        + " floor (%.2f s); the same script with retry(...) in parentheses: %.2f s%n", cold, cold / floor, floor,
        coldParens);
    System.exit(0);
  }
}
