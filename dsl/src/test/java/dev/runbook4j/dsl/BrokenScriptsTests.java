package dev.runbook4j.dsl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A corpus of broken scripts, one mistake each (the last has several): each file says, in its
 * {@code // expect:} lines at the end, the exact problems loading must report.
 */
class BrokenScriptsTests {
  static final Path DIR = Path.of("src/test/resources/broken");

  @TestFactory
  Stream<DynamicTest> everyBrokenScriptIsReportedAtItsLineAndColumn() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      return files.sorted().toList().stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
        List<String> expected = Files.readAllLines(f).stream().filter(l -> l.startsWith("// expect: "))
            .map(l -> f + ":" + l.substring("// expect: ".length())).toList();
        assertThat(expected).as("the file says what to expect").isNotEmpty();
        assertThatThrownBy(() -> RunbookScripts.load(f)).isInstanceOf(ScriptException.class)
            .satisfies(e -> assertThat(((ScriptException) e).scriptProblems()).map(ScriptProblem::toString)
                .containsExactlyElementsOf(expected));
      }));
    }
  }
}
