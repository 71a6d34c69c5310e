package dev.runbook4j.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Whole-process {@code runbook4j validate} of a 100-step script on a cold JVM, median of 5 (and of a
 * 1,000-step one compiled in the process, median of 3), beside
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

  static double timeIn(List<String> cmd, Path dir) throws Exception {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException(cmd + " failed in " + dir);
    }
    return (System.nanoTime() - t0) / 1e9;
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
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> base = new ArrayList<>(List.of(javaBin, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-jar", jar.toString()));
    List<String> version = new ArrayList<>(base);
    version.add("--version");
    List<String> validate = new ArrayList<>(base);
    validate.addAll(List.of("validate", script.toString()));
    double floor = medianSeconds(version, 5);
    // a new cache folder each time: the script is compiled in the cold process
    double[] firsts = new double[5];
    for (int i = 0; i < 5; i++) {
      Path work = Files.createTempDirectory("cold");
      List<String> cmd = new ArrayList<>(validate);
      firsts[i] = timeIn(cmd, work);
    }
    java.util.Arrays.sort(firsts);
    // the same folder: the second and later processes load the compiled script from .runbook4j/cache
    Path work = Files.createTempDirectory("cached");
    timeIn(validate, work);
    double[] cached = new double[5];
    for (int i = 0; i < 5; i++) {
      cached[i] = timeIn(validate, work);
    }
    java.util.Arrays.sort(cached);
    System.out.printf("cold validate of a 100-step script: %.2f s compiled in the process, %.2f s with the compiled"
        + " script kept from an earlier run (target < 1.5 s); the JVM + command-line floor: %.2f s (%.1fx, %.1fx)%n",
        firsts[2], cached[2], floor, firsts[2] / floor, cached[2] / floor);
    Summary.row("ColdValidate", "'runbook4j validate' of a 100-step script, cold JVM, script compiled before",
        String.format("%.2f s", cached[2]), String.format("the jar printing its version %.2f s", floor),
        cached[2] / floor, Summary.atMost(cached[2], 1.5, "< 1.5 s"));
    Summary.row("ColdValidate", "the same, compiling the script in the process", String.format("%.2f s", firsts[2]),
        String.format("the jar printing its version %.2f s", floor), firsts[2] / floor,
        Summary.atMost(firsts[2], 1.5, "< 1.5 s"));
    // how a cold compile grows: a 1,000-step script, compiled in the process (median of 3)
    Path big = Files.createTempFile("thousand", ".runbook.groovy");
    Files.writeString(big, DslLoadBenchmark.script(1000));
    List<String> validateBig = new ArrayList<>(base);
    validateBig.addAll(List.of("validate", big.toString()));
    double[] bigs = new double[3];
    for (int i = 0; i < 3; i++) {
      bigs[i] = timeIn(validateBig, Files.createTempDirectory("cold"));
    }
    java.util.Arrays.sort(bigs);
    System.out.printf("cold validate of a 1,000-step script compiled in the process: %.2f s (target < 5 s; %.1fx the"
        + " floor)%n", bigs[1], bigs[1] / floor);
    Summary.row("ColdValidate", "'runbook4j validate' of a 1,000-step script, cold JVM, compiling it",
        String.format("%.2f s", bigs[1]), String.format("the jar printing its version %.2f s", floor),
        bigs[1] / floor, Summary.atMost(bigs[1], 5, "< 5 s"));
    System.exit(0);
  }
}
