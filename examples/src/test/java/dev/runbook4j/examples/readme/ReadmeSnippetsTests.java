package dev.runbook4j.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java and Groovy snippet of the README and the guide is the text of a real file that the
 * build compiles and a test runs: the line before the snippet's fence names it
 * ({@code <!-- snippet: PATH#TAG -->}, the path from the repository's root), and the snippet must
 * equal the lines between the file's {@code tag::TAG[]} and {@code end::TAG[]} comments (several
 * such parts are joined; indentation common to all lines is ignored).
 */
class ReadmeSnippetsTests {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern FENCE = Pattern.compile("^```(java|groovy)\\s*$");
  private static final Pattern MARKER = Pattern.compile("^<!-- snippet: (\\S+)#(\\S+) -->$");

  record Snippet(String doc, int line, String file, String tag, List<String> text) {
    String where() {
      return doc + ":" + line;
    }
  }

  static List<Snippet> snippets(String doc) {
    List<String> lines = read(ROOT.resolve(doc));
    List<Snippet> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!FENCE.matcher(lines.get(i)).matches()) {
        continue;
      }
      Matcher m = i > 0 ? MARKER.matcher(lines.get(i - 1)) : null;
      List<String> text = new ArrayList<>();
      int start = i + 1;
      for (i = start; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
        text.add(lines.get(i));
      }
      found.add(m != null && m.matches()
          ? new Snippet(doc, start, m.group(1), m.group(2), text)
          : new Snippet(doc, start, null, null, text));
    }
    return found;
  }

  /** The lines of {@code file} tagged {@code tag}, or an empty list when it has no such tag. */
  static List<String> tagged(Path file, String tag) {
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String line : read(file)) {
      String t = line.trim();
      if (t.equals("// tag::" + tag + "[]")) {
        in = true;
      } else if (t.equals("// end::" + tag + "[]")) {
        in = false;
      } else if (in) {
        out.add(line);
      }
    }
    return out;
  }

  static List<String> normalized(List<String> lines) {
    int indent = Integer.MAX_VALUE;
    for (String l : lines) {
      if (!l.isBlank()) {
        indent = Math.min(indent, l.length() - l.stripLeading().length());
      }
    }
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      out.add(l.isBlank() ? "" : l.substring(indent).stripTrailing());
    }
    return out;
  }

  /** Why {@code s} is not its file's text, or null when it is. */
  static String mismatch(Snippet s) {
    if (s.file() == null) {
      return s.where() + ": a snippet without a source; put <!-- snippet: PATH#TAG --> on the line before its fence";
    }
    Path file = ROOT.resolve(s.file());
    if (!Files.isRegularFile(file)) {
      return s.where() + ": names " + s.file() + ", which does not exist";
    }
    List<String> source = normalized(tagged(file, s.tag()));
    if (source.isEmpty()) {
      return s.where() + ": " + s.file() + " has no lines tagged '" + s.tag() + "'";
    }
    List<String> doc = normalized(s.text());
    for (int i = 0; i < Math.max(doc.size(), source.size()); i++) {
      String d = i < doc.size() ? doc.get(i) : "(the snippet ends)";
      String f = i < source.size() ? source.get(i) : "(the tagged lines end)";
      if (!d.equals(f)) {
        return s.where() + " differs from " + s.file() + "#" + s.tag() + " at its line " + (i + 1) + ":\n  doc:  " + d
            + "\n  file: " + f;
      }
    }
    return null;
  }

  @Test
  void everySnippetOfTheReadmeAndTheGuideIsItsFilesText() {
    List<Snippet> all = new ArrayList<>(snippets("README.md"));
    all.addAll(snippets("docs/guide.md"));
    assertThat(all).hasSizeGreaterThanOrEqualTo(10);
    List<String> problems = new ArrayList<>();
    for (Snippet s : all) {
      String why = mismatch(s);
      if (why != null) {
        problems.add(why);
      }
    }
    assertThat(problems).as("snippets that are not their files' text").isEmpty();
  }

  @Test
  void aSnippetThatDriftsFromItsFileIsFoundNamingTheLine() {
    Snippet tour = snippets("README.md").stream().filter(s -> "tour-runbook".equals(s.tag())).findFirst().orElseThrow();
    List<String> edited = new ArrayList<>(tour.text());
    edited.set(4, edited.get(4).replace("checkout/prod", "checkout/staging"));
    String why = mismatch(new Snippet(tour.doc(), tour.line(), tour.file(), tour.tag(), edited));
    assertThat(why).startsWith("README.md:" + tour.line() + " differs from " + tour.file() + "#tour-runbook at its line 5:")
        .contains("doc:      .lock(r -> \"checkout/staging\")", "file:     .lock(r -> \"checkout/prod\")");
    assertThat(mismatch(new Snippet("README.md", 7, null, null, edited))).contains("a snippet without a source");
  }

  private static List<String> read(Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
